//
// Ec2MetadataProvider.h
//
// Host metadata of an EC2 instance, from IMDSv2.
//

#ifndef Asprof_Plugins_Ec2MetadataProvider_INCLUDED
#define Asprof_Plugins_Ec2MetadataProvider_INCLUDED

#include "asprof/plugins/aws/ImdsClient.h"
#include "asprof/sdk/MetadataProvider.h"

namespace asprof {
namespace plugins {

/// [metadata.<name>] type = ec2. Keys:
///   endpoint = (empty)   else $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254
///   timeout  = 1s        per request; 2 attempts, so a non-EC2 host falls through in ~2 s
/// detect(): IMDSv2 token, then /latest/dynamic/instance-identity/document;
/// kind "ec2" with accountId, region, instanceId, instanceType.
/// Throws when IMDS does not answer (not on EC2) or when
/// AWS_EC2_METADATA_DISABLED is true.
class Ec2MetadataProvider: public sdk::MetadataProvider
{
public:
	void configure(sdk::PluginContext& context) override;
	sdk::HostMetadata detect() override;

private:
	aws::ImdsOptions _options;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_Ec2MetadataProvider_INCLUDED

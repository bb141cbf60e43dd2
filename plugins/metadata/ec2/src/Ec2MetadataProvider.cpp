#include "Ec2MetadataProvider.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/Environment.h"
#include "Poco/JSON/Object.h"
#include "Poco/String.h"
#include "Poco/JSON/Parser.h"

namespace asprof {
namespace plugins {

void Ec2MetadataProvider::configure(sdk::PluginContext& context)
{
	_options.endpoint = context.getString("endpoint", "");
	_options.timeout = context.getDuration("timeout", _options.timeout);
	_labels = context.getKeyValueList("labels");
}

sdk::HostMetadata Ec2MetadataProvider::detect()
{
	std::string disabled = Poco::toLower(Poco::Environment::get("AWS_EC2_METADATA_DISABLED", ""));
	if (disabled == "true" || disabled == "1")
		throw Poco::NotFoundException("IMDS is disabled by AWS_EC2_METADATA_DISABLED");
	aws::ImdsClient imds(_options);
	std::string document = imds.get("/latest/dynamic/instance-identity/document");
	Poco::JSON::Object::Ptr identity;
	try
	{
		identity = Poco::JSON::Parser().parse(document).extract<Poco::JSON::Object::Ptr>();
	}
	catch (Poco::Exception& e)
	{
		throw Poco::DataFormatException("the instance identity document from " + imds.endpoint() + " is not JSON", e.displayText());
	}
	sdk::HostMetadata metadata;
	metadata.kind = "ec2";
	for (const char* field : {"accountId", "region", "instanceId", "instanceType"})
	{
		std::string value = identity->optValue<std::string>(field, "");
		if (value.empty()) throw Poco::DataFormatException("the instance identity document from " + imds.endpoint() + " lacks " + field);
		metadata.setField(field, value);
	}
	metadata.labels = _labels;
	return metadata;
}

} } // namespace asprof::plugins

#include "Ec2MetadataProvider.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/Environment.h"
#include "Poco/JSON/Object.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include "Poco/JSON/Parser.h"

namespace asprof {
namespace plugins {

void Ec2MetadataProvider::configure(sdk::PluginContext& context)
{
	_options.endpoint = getString(context, "endpoint", "");
	_options.timeout = getDuration(context, "timeout", _options.timeout);
}

sdk::HostMetadata Ec2MetadataProvider::detect()
{
	std::string disabled = Poco::toLower(Poco::Environment::get("AWS_EC2_METADATA_DISABLED", ""));
	if (disabled == "true" || disabled == "1") throw Poco::NotFoundException("IMDS is disabled by AWS_EC2_METADATA_DISABLED");
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
	// The values go into object keys, URLs and signed headers: each must look like what AWS sends.
	const std::pair<const char*, const char*> fields[] = {{"accountId", "^[0-9]{12}$"}, {"region", "^[a-z0-9-]{1,32}$"},
		{"instanceId", "^i-[0-9a-f]{1,32}$"}, {"instanceType", "^[a-z0-9.-]{1,64}$"}};
	for (const auto& field : fields)
	{
		if (!identity->has(field.first) || !identity->get(field.first).isString())
			throw Poco::DataFormatException(
				"the instance identity document from " + imds.endpoint() + " lacks " + field.first + " (a string)");
		const std::string value = identity->getValue<std::string>(field.first);
		if (!Poco::RegularExpression(field.second).match(value))
			throw Poco::DataFormatException(
				"the instance identity document from " + imds.endpoint() + " has a malformed " + field.first + " (refused, not used)");
		metadata.setField(field.first, value);
	}
	return metadata;
}

} // namespace plugins
} // namespace asprof

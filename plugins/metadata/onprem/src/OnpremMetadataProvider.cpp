#include "OnpremMetadataProvider.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"

namespace asprof {
namespace plugins {

void OnpremMetadataProvider::configure(sdk::PluginContext& context)
{
	_hostname = context.getString("hostname", "");
	_fields = context.getKeyValueList("fields");
	_labels = context.getKeyValueList("labels");
	for (const auto& field : _fields)
	{
		if (field.first == "hostname")
			context.throwBadValue("fields", context.getString("fields", ""), "fields other than hostname (set hostname = instead)");
	}
}

sdk::HostMetadata OnpremMetadataProvider::detect()
{
	sdk::HostMetadata metadata;
	metadata.kind = "onprem";
	std::string hostname = _hostname;
	if (hostname.empty())
	{
		try
		{
			hostname = Poco::Environment::nodeName();
		}
		catch (Poco::Exception&)
		{
			hostname = "unknown";
		}
	}
	metadata.setField("hostname", hostname);
	for (const auto& field : _fields) metadata.setField(field.first, field.second);
	metadata.labels = _labels;
	return metadata;
}

} } // namespace asprof::plugins

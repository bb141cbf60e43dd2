#include "OnpremMetadataProvider.h"
#include "asprof/sdk/ConfigValue.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/NumberFormatter.h"

namespace asprof {
namespace plugins {

namespace {

using sdk::ConfigValue;

} // namespace

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
	// These end up in object keys, HTTP headers and JSON: one line of text each.
	if (ConfigValue::hasControlCharacter(_hostname))
		context.throwBadValue("hostname", ConfigValue::printable(_hostname), "a host name without control characters (CR, LF, tab, ...)");
	for (const char* key : {"fields", "labels"})
	{
		for (const auto& entry : key[0] == 'f' ? _fields : _labels)
		{
			if (ConfigValue::hasControlCharacter(entry.first) || ConfigValue::hasControlCharacter(entry.second))
				context.throwBadValue(key, ConfigValue::printable(context.getString(key, "")), std::string(key) + " without control characters (CR, LF, tab, ...)");
		}
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

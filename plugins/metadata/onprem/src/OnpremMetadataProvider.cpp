#include "OnpremMetadataProvider.h"
#include "asprof/sdk/ConfigValue.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/Exception.h"
#include "Poco/NumberFormatter.h"

namespace asprof {
namespace plugins {

namespace {

using sdk::ConfigValue;

} // namespace

void OnpremMetadataProvider::configure(sdk::PluginContext& context)
{
	_hostname = getString(context, "hostname", "");
	_fields = getKeyValueList(context, "fields");
	for (const auto& field : _fields)
	{
		if (field.first == "hostname")
			throwBadValue(context, "fields", getString(context, "fields", ""), "fields other than hostname (set hostname = instead)");
	}
	// These end up in object keys, HTTP headers and JSON: one line of text each.
	if (ConfigValue::hasControlCharacter(_hostname))
		throwBadValue(context, "hostname", _hostname, "a host name without control characters (CR, LF, tab, ...)");
	for (const auto& entry : _fields)
	{
		if (ConfigValue::hasControlCharacter(entry.first) || ConfigValue::hasControlCharacter(entry.second))
			throwBadValue(context, "fields", getString(context, "fields", ""), "fields without control characters (CR, LF, tab, ...)");
	}
}

sdk::HostMetadata OnpremMetadataProvider::detect()
{
	sdk::HostMetadata metadata = sdk::HostMetadata::onprem(_hostname);
	for (const auto& field : _fields) metadata.setField(field.first, field.second);
	return metadata;
}

} // namespace plugins
} // namespace asprof

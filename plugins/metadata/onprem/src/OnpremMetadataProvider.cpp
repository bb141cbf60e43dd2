#include "OnpremMetadataProvider.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/NumberFormatter.h"

namespace asprof {
namespace plugins {

namespace {

// For messages: a control character shown as \xNN, never written raw to a log.
std::string printable(const std::string& text)
{
	std::string shown;
	for (char c : text)
	{
		if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) shown += "\\x" + Poco::NumberFormatter::formatHex(static_cast<unsigned char>(c), 2);
		else shown += c;
	}
	return shown;
}

bool hasControlCharacter(const std::string& text)
{
	return printable(text) != text;
}

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
	if (hasControlCharacter(_hostname))
		context.throwBadValue("hostname", printable(_hostname), "a host name without control characters (CR, LF, tab, ...)");
	for (const char* key : {"fields", "labels"})
	{
		for (const auto& entry : key[0] == 'f' ? _fields : _labels)
		{
			if (hasControlCharacter(entry.first) || hasControlCharacter(entry.second))
				context.throwBadValue(key, printable(context.getString(key, "")), std::string(key) + " without control characters (CR, LF, tab, ...)");
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

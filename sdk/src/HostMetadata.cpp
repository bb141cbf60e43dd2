#include "asprof/sdk/HostMetadata.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

std::string HostMetadata::field(const std::string& name, const std::string& defaultValue) const
{
	for (const auto& entry : fields)
	{
		if (entry.first == name) return entry.second;
	}
	return defaultValue;
}

void HostMetadata::setField(const std::string& name, const std::string& value)
{
	for (auto& entry : fields)
	{
		if (entry.first == name)
		{
			entry.second = value;
			return;
		}
	}
	fields.emplace_back(name, value);
}

HostMetadata HostMetadata::onprem(const std::string& hostname)
{
	HostMetadata metadata;
	metadata.kind = "onprem";
	std::string name = hostname;
	if (name.empty())
	{
		try
		{
			name = Poco::Environment::nodeName();
		}
		catch (Poco::Exception&)
		{
		}
	}
	metadata.setField("hostname", name.empty() ? std::string("unknown") : name);
	return metadata;
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

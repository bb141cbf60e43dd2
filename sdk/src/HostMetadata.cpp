#include "asprof/sdk/HostMetadata.h"

namespace asprof {
namespace sdk {

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

} } // namespace asprof::sdk

#include "S3Key.h"
#include "Poco/DateTimeFormatter.h"
#include <cctype>

namespace asprof {
namespace plugins {

namespace {

// Ids come from the network (IMDS, the ECS task endpoint): only letters, digits,
// '.', ':' and '-' reach the key; '/', '_', line breaks and anything else become '-'.
std::string dashed(std::string id)
{
	for (char& c : id)
	{
		const bool kept = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '-';
		if (!kept) c = '-';
	}
	return id;
}

} // namespace

std::string S3Key::machine(const sdk::HostMetadata& host)
{
	if (host.kind == "ec2") return "ec2_" + dashed(host.field("instanceId")) + "_";
	if (host.kind == "ecs") return "ecs_" + dashed(host.field("taskArn")) + "_";
	if (host.kind == "onprem") return "onprem__";
	return "unknown__";
}

std::string S3Key::make(
	const std::string& keyPrefix, const std::string& profilingGroup, const sdk::HostMetadata& host, int pid, const Poco::Timestamp& time)
{
	return keyPrefix + "profile_" + profilingGroup + "_" + machine(host) + "_" + std::to_string(pid) + "_" +
		Poco::DateTimeFormatter::format(time, "%Y-%m-%dT%H-%M-%SZ") + ".zip";
}

} // namespace plugins
} // namespace asprof

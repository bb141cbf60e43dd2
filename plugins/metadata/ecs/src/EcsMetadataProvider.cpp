#include "EcsMetadataProvider.h"
#include "asprof/plugins/HttpClient.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/Environment.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/NumberFormatter.h"
#include "Poco/RegularExpression.h"
#include "Poco/StringTokenizer.h"

namespace asprof {
namespace plugins {

namespace {

// A number as the task document gives it (CPU in vCPUs may be fractional).
std::string numberText(const Poco::Dynamic::Var& value)
{
	if (value.isInteger()) return value.toString();
	double number = value.convert<double>();
	if (number == static_cast<double>(static_cast<long long>(number))) return std::to_string(static_cast<long long>(number));
	return Poco::NumberFormatter::format(number);
}

} // namespace

void EcsMetadataProvider::configure(sdk::PluginContext& context)
{
	_endpoint = getString(context, "endpoint", "");
	_timeout = getDuration(context, "timeout", _timeout);
}

sdk::HostMetadata EcsMetadataProvider::parseTask(const std::string& json)
{
	Poco::JSON::Object::Ptr task;
	try
	{
		task = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
	}
	catch (Poco::Exception& e)
	{
		throw Poco::DataFormatException("the ECS task metadata is not JSON", e.displayText());
	}
	// Strings only, in the ARN alphabet: they go into object keys and headers.
	static const Poco::RegularExpression arnText("^[A-Za-z0-9:/._-]{0,1024}$");
	for (const char* member : {"TaskARN", "Cluster"})
	{
		if (task->has(member) && (!task->get(member).isString() || !arnText.match(task->getValue<std::string>(member))))
			throw Poco::DataFormatException(
				std::string("the ECS task metadata's ") + member + " is not an ARN or name (refused, not used)");
	}
	std::string taskArn = task->optValue<std::string>("TaskARN", "");
	std::string cluster = task->optValue<std::string>("Cluster", "");
	// arn:aws:ecs:<region>:<account>:task/<cluster>/<id>
	Poco::StringTokenizer arn(taskArn, ":");
	static const Poco::RegularExpression regionName("^[a-z0-9-]{1,32}$");
	static const Poco::RegularExpression accountId("^[0-9]{12}$");
	if (arn.count() < 6 || arn[0] != "arn" || arn[2] != "ecs" || !regionName.match(arn[3]) || !accountId.match(arn[4]))
		throw Poco::DataFormatException("the ECS task metadata has no valid TaskARN", taskArn);
	std::string region = arn[3];
	std::string account = arn[4];
	sdk::HostMetadata metadata;
	metadata.kind = "ecs";
	metadata.setField("accountId", account);
	metadata.setField("region", region);
	metadata.setField("taskArn", taskArn);
	metadata.setField("clusterArn",
		cluster.compare(0, 4, "arn:") == 0 || cluster.empty() ? cluster
															  : "arn:" + arn[1] + ":ecs:" + region + ":" + account + ":cluster/" + cluster);
	Poco::JSON::Object::Ptr limits = task->getObject("Limits");
	if (limits && limits->has("CPU")) metadata.setField("cpuLimit", numberText(limits->get("CPU")));
	if (limits && limits->has("Memory")) metadata.setField("memoryLimit", numberText(limits->get("Memory")));
	return metadata;
}

sdk::HostMetadata EcsMetadataProvider::detect()
{
	std::string endpoint = _endpoint.empty() ? Poco::Environment::get("ECS_CONTAINER_METADATA_URI_V4", "") : _endpoint;
	if (endpoint.empty()) throw Poco::NotFoundException("not on ECS: ECS_CONTAINER_METADATA_URI_V4 is not set");
	if (endpoint.back() == '/') endpoint.pop_back();
	HttpOptions options;
	options.timeout = _timeout;
	options.useProxyEnvironment = false; // a link-local endpoint, never through a proxy
	HttpClient http(options);
	HttpRequest request;
	request.uri = Poco::URI(endpoint + "/task");
	HttpResponse response = http.send(request);
	if (response.status != 200)
		throw Poco::IOException(
			"ECS task metadata " + request.uri.toString() + ": HTTP " + std::to_string(response.status) + " " + response.reason);
	sdk::HostMetadata metadata = parseTask(response.body);
	return metadata;
}

} // namespace plugins
} // namespace asprof

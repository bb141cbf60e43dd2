#include "asprof/plugins/HttpClient.h"
#include "Poco/File.h"

namespace asprof {
namespace plugins {

HttpOptions readHttpOptions(sdk::PluginContext& context)
{
	HttpOptions http;
	http.timeout = context.getDuration("timeout", http.timeout);
	if (http.timeout <= 0) context.throwBadValue("timeout", context.getString("timeout", ""), "a duration above 0, such as 10s");
	http.caFile = context.getString("caFile", "");
	if (!http.caFile.empty() && !Poco::File(http.caFile).exists())
		context.throwBadValue("caFile", http.caFile, "an existing PEM file (or hashed directory) of CA certificates");
	http.verifyTls = !context.getBool("insecureSkipVerify", false);
	http.clientCertFile = context.getString("clientCert", "");
	http.clientKeyFile = context.getString("clientKey", "");
	if (http.clientCertFile.empty() != http.clientKeyFile.empty())
		context.throwBadValue(http.clientCertFile.empty() ? "clientCert" : "clientKey", "", "clientCert and clientKey together, or neither");
	return http;
}

} } // namespace asprof::plugins

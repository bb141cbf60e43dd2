#include "asprof/plugins/HttpClient.h"
#include "Poco/File.h"

namespace asprof {
namespace plugins {

HttpOptions readHttpOptions(sdk::PluginContext& context)
{
	HttpOptions http;
	http.timeout = getDuration(context, "timeout", http.timeout);
	if (http.timeout <= 0) throwBadValue(context, "timeout", getString(context, "timeout", ""), "a duration above 0, such as 10s");
	http.caFile = getString(context, "caFile", "");
	if (!http.caFile.empty() && !Poco::File(http.caFile).exists())
		throwBadValue(context, "caFile", http.caFile, "an existing PEM file (or hashed directory) of CA certificates");
	http.verifyTls = !getBool(context, "insecureSkipVerify", false);
	http.clientCertFile = getString(context, "clientCert", "");
	http.clientKeyFile = getString(context, "clientKey", "");
	if (http.clientCertFile.empty() != http.clientKeyFile.empty())
		throwBadValue(
			context, http.clientCertFile.empty() ? "clientCert" : "clientKey", "", "clientCert and clientKey together, or neither");
	return http;
}

} // namespace plugins
} // namespace asprof

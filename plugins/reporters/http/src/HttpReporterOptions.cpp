#include "HttpReporterOptions.h"
#include "PyroscopeIngest.h"
#include "asprof/sdk/ConfigValue.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/String.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <algorithm>

namespace asprof {
namespace plugins {

namespace {

const char* const SET_BY_THE_REPORTER[] = {"Host", "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection"};

// The URL as written, minus any user:password@, for messages.
std::string withoutUserInfo(const std::string& url)
{
	const std::size_t schemeEnd = url.find("://");
	if (schemeEnd == std::string::npos) return url;
	// The last '@' anywhere: a password may hold '/', '?' or '#' unencoded,
	// and hiding part of a path that has an '@' is the safe mistake.
	const std::size_t at = url.rfind('@');
	if (at == std::string::npos || at < schemeEnd) return url;
	return url.substr(0, schemeEnd + 3) + url.substr(at + 1);
}

bool isHeaderNameChar(char c)
{
	static const std::string SYMBOLS = "!#$%&'*+-.^_`|~";
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || SYMBOLS.find(c) != std::string::npos;
}

bool hasControlCharacters(const std::string& text)
{
	return std::any_of(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f; });
}

} // namespace

bool hasHeader(const HeaderList& headers, const std::string& name)
{
	return std::any_of(headers.begin(), headers.end(), [&](const auto& header) { return Poco::icompare(header.first, name) == 0; });
}

HttpReporterOptions HttpReporterOptions::read(sdk::PluginContext& context)
{
	HttpReporterOptions options;
	options.readTarget(context);
	options.readPyroscope(context);
	options.readHeaders(context);
	options.readAuth(context);
	options.readHttp(context);
	return options;
}

const char* HttpReporterOptions::formatName(Format format)
{
	switch (format)
	{
	case Format::Pyroscope: return "pyroscope";
	case Format::PyroscopeJfr: return "pyroscope-jfr";
	case Format::Pprof: return "pprof";
	case Format::Raw: return "raw";
	case Format::Zip: return "zip";
	}
	return "unknown";
}

bool HttpReporterOptions::isPyroscope() const
{
	return format == Format::Pyroscope || format == Format::PyroscopeJfr;
}

bool HttpReporterOptions::isPprof() const
{
	return format == Format::Pyroscope || format == Format::Pprof;
}

void HttpReporterOptions::readTarget(sdk::PluginContext& context)
{
	const std::string text = getRequiredString(context, "url");
	try
	{
		url = UrlTemplate::parse(text);
	}
	catch (const Poco::Exception& error)
	{
		// The parser's own words may quote the password (as a "port"): not
		// when the URL has a user:password part.
		const bool hasUserInfo = withoutUserInfo(text) != text;
		throwBadValue(context, "url", withoutUserInfo(text),
			"an http:// or https:// URL (" + (hasUserInfo ? std::string("its user:password part not shown") : error.message()) + ")");
	}
	const std::string formatText = getChoice(context, "format", "pyroscope", {"pyroscope", "pyroscope-jfr", "pprof", "raw", "zip"});
	for (Format each : {Format::Pyroscope, Format::PyroscopeJfr, Format::Pprof, Format::Raw, Format::Zip})
	{
		if (formatText == formatName(each)) format = each;
	}
	if (url.uses("type") && format != Format::Pprof)
		throwBadValue(context, "url", url.withoutUserInfo(), "a url without {type}: it applies to format = pprof only");
	method = getChoice(context, "method", "POST", {"POST", "PUT"});
	gzip = getBool(context, "gzip", isPyroscope() || format == Format::Pprof);
	compressionLevel = sdk::ProfileArchive::readCompressionLevel(context);
}

void HttpReporterOptions::readPyroscope(sdk::PluginContext& context)
{
	if (!isPyroscope())
	{
		for (const char* key : {"appName", "sampleRate", "hostLabels"})
		{
			if (context.config().has(key))
				throwBadValue(context, key, getString(context, key, ""),
					std::string("no ") + key + ": it applies to format = pyroscope and pyroscope-jfr only");
		}
		return;
	}
	if (format == Format::Pyroscope && context.config().has("sampleRate"))
		throwBadValue(context, "sampleRate", getString(context, "sampleRate", ""),
			"no sampleRate: it applies to format = pyroscope-jfr only (pprof carries each event type's own period)");
	appName = getString(context, "appName", "");
	if (appName.empty()) throwBadValue(context, "appName", "", "the application name Pyroscope shows (required with format = pyroscope)");
	if (!PyroscopeIngest::isValidAppName(appName))
		throwBadValue(context, "appName", appName, "a name of A-Z a-z 0-9 _ . - / only (Pyroscope's rule for service names)");
	sampleRate = static_cast<unsigned>(getInt(context, "sampleRate", 0, 0, 1000000));
	if (context.config().has("hostLabels")) hostLabels = sdk::ConfigValue::parseList(getString(context, "hostLabels", ""));
}

void HttpReporterOptions::readHeaders(sdk::PluginContext& context)
{
	Poco::Util::AbstractConfiguration::Keys names;
	context.config().keys("headers", names);
	for (const auto& name : names)
	{
		const std::string key = "headers." + name;
		// A header's value may be a credential: never shown.
		if (!context.config().has(key)) throwBadSecret(context, key, "a header name without '.'");
		if (!std::all_of(name.begin(), name.end(), isHeaderNameChar))
			throwBadSecret(context, key, "a header name of letters, digits and !#$%&'*+-.^_`|~");
		for (const char* reserved : SET_BY_THE_REPORTER)
		{
			if (Poco::icompare(name, reserved) == 0) throwBadSecret(context, key, "another header: the reporter sets " + name);
		}
		const std::string value = getSecret(context, key);
		headers.emplace_back(name, value);
	}
	tenant = getString(context, "tenant", "");
	if (hasControlCharacters(tenant)) throwBadValue(context, "tenant", tenant, "a tenant id without control characters");
	if (!tenant.empty() && hasHeader(headers, "X-Scope-OrgID"))
		throwBadValue(context, "tenant", tenant, "tenant or headers.X-Scope-OrgID, not both");
}

void HttpReporterOptions::readAuth(sdk::PluginContext& context)
{
	bearerToken = getSecret(context, "bearerToken");
	bearerTokenFile = getString(context, "bearerTokenFile", "");
	basicAuthUser = getString(context, "basicAuthUser", "");
	basicAuthPassword = getSecret(context, "basicAuthPassword");
	const bool bearer = !bearerToken.empty() || !bearerTokenFile.empty();
	const bool basic = !basicAuthUser.empty() || !basicAuthPassword.empty();
	const char* const bearerKey = bearerToken.empty() ? "bearerTokenFile" : "bearerToken";

	if (!bearerToken.empty() && !bearerTokenFile.empty())
		throwBadValue(context, "bearerTokenFile", bearerTokenFile, "bearerToken or bearerTokenFile, not both");
	if (bearer && (basic || url.hasUserInfo()))
	{
		const std::string expected = std::string("one kind of authentication: ") + bearerKey +
			" or basicAuthUser/basicAuthPassword (or user:password@ in url), not both";
		if (bearerToken.empty()) throwBadValue(context, bearerKey, bearerTokenFile, expected);
		throwBadSecret(context, bearerKey, expected);
	}
	// "user:password" in basicAuthUser is a common slip: never echo it.
	if (basicAuthUser.find(':') != std::string::npos)
		throwBadSecret(context, "basicAuthUser", "a user name without ':' (the password goes in basicAuthPassword)");
	if (basic && url.hasUserInfo())
		throwBadValue(context, "basicAuthUser", basicAuthUser, "basicAuthUser/basicAuthPassword or user:password@ in url, not both");
	if (basicAuthUser.empty() && !basicAuthPassword.empty()) throwBadSecret(context, "basicAuthPassword", "basicAuthUser with it");
	if ((bearer || basic || url.hasUserInfo()) && hasHeader(headers, "Authorization"))
		throwBadSecret(context, "headers.Authorization",
			"no Authorization header when bearerToken, bearerTokenFile, basicAuthUser or "
			"user:password@ in url is set");

	if (url.hasUserInfo())
	{
		basicAuthUser = url.user();
		basicAuthPassword = url.password();
	}
	auth = !bearerToken.empty()      ? Auth::Bearer
		: !bearerTokenFile.empty()   ? Auth::BearerFile
		: basic || url.hasUserInfo() ? Auth::Basic
									 : Auth::None;
}

void HttpReporterOptions::readHttp(sdk::PluginContext& context)
{
	http = readHttpOptions(context);
}

} // namespace plugins
} // namespace asprof

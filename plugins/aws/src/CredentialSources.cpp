#include "CredentialSources.h"
#include "asprof/plugins/HttpClient.h"
#include "asprof/plugins/aws/ImdsClient.h"
#include "Poco/DateTime.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeParser.h"
#include "Poco/Environment.h"
#include "Poco/FileStream.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/IPAddress.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include "Poco/URI.h"
#include <algorithm>

namespace asprof {
namespace plugins {
namespace aws {

namespace {

const std::string ROLES_PATH = "/latest/meta-data/iam/security-credentials/";
const int CONTAINER_ATTEMPTS = 2;
const std::size_t MAX_TOKEN_FILE_BYTES = 64 * 1024;

std::string environment(const std::string& name)
{
	return Poco::Environment::get(name, "");
}

// A string member of the document, or "" when absent; anything but a string is refused
// (an object would be converted to JSON text and split the header it goes into).
std::string stringMember(const Poco::JSON::Object::Ptr& document, const std::string& name)
{
	if (!document->has(name) || document->isNull(name)) return std::string();
	const Poco::Dynamic::Var value = document->get(name);
	if (!value.isString()) throw Poco::DataFormatException("the credentials document's " + name + " is not a string");
	return value.extract<std::string>();
}

std::optional<Poco::Timestamp> parseExpiration(const std::string& text)
{
	Poco::DateTime time;
	int zone = 0;
	if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, time, zone) &&
		!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, text, time, zone))
	{
		return std::nullopt;
	}
	time.makeUTC(zone);
	return time.timestamp();
}

// Plain http only to the link-local container endpoints or loopback, as the
// AWS SDKs allow, so the authorization token never crosses a network in clear.
bool isAllowedContainerHost(const Poco::URI& uri)
{
	if (uri.getScheme() == "https") return true;
	if (uri.getScheme() != "http") return false;
	const std::string& host = uri.getHost();
	if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23") return true;
	Poco::Net::IPAddress address;
	if (!Poco::Net::IPAddress::tryParse(host, address)) return false;
	return address.isLoopback() || address == Poco::Net::IPAddress("fd00:ec2::23");
}

// The authorization header for AWS_CONTAINER_CREDENTIALS_FULL_URI; the file
// wins over the variable and is read again on each fetch (it is rotated).
std::string containerAuthorization()
{
	std::string tokenFile = environment("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	std::string token = environment("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (!tokenFile.empty())
	{
		try
		{
			// Bounded: the file may be anything (a device, a FIFO fed forever).
			Poco::FileInputStream stream(tokenFile);
			std::string content(MAX_TOKEN_FILE_BYTES + 1, '\0');
			stream.read(&content[0], static_cast<std::streamsize>(content.size()));
			content.resize(static_cast<std::size_t>(stream.gcount()));
			if (content.size() > MAX_TOKEN_FILE_BYTES)
				throw Poco::DataFormatException("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is larger than 65536 bytes");
			token = content;
		}
		catch (const Poco::DataFormatException&)
		{
			throw;
		}
		catch (const Poco::Exception& error)
		{
			throw Poco::IOException("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + error.displayText());
		}
		Poco::trimInPlace(token);
	}
	if (!isHeaderSafe(token))
		throw Poco::DataFormatException("the container authorization token holds control characters (line breaks?) a header cannot carry");
	return token;
}

std::string fetchContainerDocument(const Poco::URI& uri, const std::string& authorization, const Poco::Timespan& timeout)
{
	HttpOptions options;
	options.timeout = timeout;
	options.useProxyEnvironment = false;
	HttpClient http(options);
	HttpRequest request;
	request.uri = uri;
	if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
	std::string failure;
	for (int attempt = 1; attempt <= CONTAINER_ATTEMPTS; ++attempt)
	{
		try
		{
			HttpResponse response = http.send(request);
			if (response.status == 200) return response.body;
			failure = "HTTP " + std::to_string(response.status) + " " + response.reason;
			if (response.status < 500) break;
		}
		catch (const Poco::Exception& error)
		{
			failure = error.displayText();
		}
	}
	throw Poco::IOException(failure);
}

} // namespace

bool isHeaderSafe(const std::string& text)
{
	return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

void requireHeaderSafe(const Credentials& credentials)
{
	const std::pair<const char*, const std::string*> fields[] = {
		{"AccessKeyId", &credentials.accessKeyId}, {"SecretAccessKey", &credentials.secretAccessKey}, {"Token", &credentials.sessionToken}};
	for (const auto& field : fields)
	{
		if (!isHeaderSafe(*field.second))
			throw Poco::DataFormatException(
				std::string("the ") + field.first + " holds spaces or control characters (CR, LF, ...): credentials are printable ASCII");
	}
}

std::optional<Credentials> credentialsFromOptions(const CredentialsChainOptions& options, std::string& failure)
{
	if (options.accessKeyId.empty() && options.secretAccessKey.empty())
	{
		failure = "config: not set";
		return std::nullopt;
	}
	if (options.accessKeyId.empty() || options.secretAccessKey.empty())
	{
		failure = options.accessKeyId.empty() ? "config: secretAccessKey is set without accessKeyId"
											  : "config: accessKeyId is set without secretAccessKey";
		return std::nullopt;
	}
	return Credentials{options.accessKeyId, options.secretAccessKey, options.sessionToken, std::nullopt, "config"};
}

std::optional<Credentials> credentialsFromEnvironment(std::string& failure)
{
	std::string accessKeyId = environment("AWS_ACCESS_KEY_ID");
	std::string secretAccessKey = environment("AWS_SECRET_ACCESS_KEY");
	if (accessKeyId.empty() || secretAccessKey.empty())
	{
		failure = accessKeyId.empty() ? "environment: AWS_ACCESS_KEY_ID not set" : "environment: AWS_SECRET_ACCESS_KEY not set";
		return std::nullopt;
	}
	return Credentials{accessKeyId, secretAccessKey, environment("AWS_SESSION_TOKEN"), std::nullopt, "environment"};
}

std::optional<Credentials> credentialsFromContainer(const CredentialsChainOptions& options, std::string& failure)
{
	std::string relativeUri = environment("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	std::string fullUri = environment("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (relativeUri.empty() && fullUri.empty())
	{
		failure = "ecs: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set";
		return std::nullopt;
	}
	// Errors name the scheme, host and port only: the path identifies the task's
	// credentials, and a user:password part would be a secret.
	std::string where = relativeUri.empty() ? "AWS_CONTAINER_CREDENTIALS_FULL_URI" : "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
	try
	{
		Poco::URI uri(relativeUri.empty() ? fullUri : "http://" + options.ecsHost + relativeUri);
		where = uri.getScheme() + "://" + uri.getHost() + (uri.getSpecifiedPort() ? ":" + std::to_string(uri.getSpecifiedPort()) : "");
		if (relativeUri.empty() && !isAllowedContainerHost(uri))
			throw Poco::InvalidArgumentException(
				"AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback, 169.254.170.2 or 169.254.170.23");
		std::string authorization = relativeUri.empty() ? containerAuthorization() : "";
		return parseCredentialsDocument(fetchContainerDocument(uri, authorization, options.timeout), "ecs");
	}
	catch (const Poco::Exception& error)
	{
		failure = "ecs: " + where + ": " + error.message();
		return std::nullopt;
	}
}

std::optional<Credentials> credentialsFromInstanceProfile(const CredentialsChainOptions& options, std::string& failure)
{
	if (Poco::icompare(environment("AWS_EC2_METADATA_DISABLED"), "true") == 0)
	{
		failure = "imds: disabled by AWS_EC2_METADATA_DISABLED";
		return std::nullopt;
	}
	ImdsOptions imdsOptions;
	imdsOptions.endpoint = options.imdsEndpoint;
	imdsOptions.timeout = options.timeout;
	try
	{
		ImdsClient imds(imdsOptions);
		std::string roles = imds.get(ROLES_PATH);
		std::string role = Poco::trim(roles.substr(0, roles.find('\n')));
		if (role.empty())
		{
			failure = "imds: no IAM role attached to the instance (" + imds.endpoint() + ")";
			return std::nullopt;
		}
		try
		{
			return parseCredentialsDocument(imds.get(ROLES_PATH + role), "imds");
		}
		catch (const Poco::DataFormatException& error)
		{
			failure = "imds: " + imds.endpoint() + ROLES_PATH + role + ": " + error.message();
		}
	}
	catch (const Poco::NotFoundException& error)
	{
		failure = "imds: no IAM role attached to the instance: " + error.message();
	}
	catch (const Poco::Exception& error)
	{
		failure = "imds: " + error.message();
	}
	return std::nullopt;
}

Credentials parseCredentialsDocument(const std::string& json, const std::string& source)
{
	Poco::JSON::Object::Ptr document;
	try
	{
		document = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
	}
	catch (const Poco::Exception&)
	{
		throw Poco::DataFormatException("the credentials document is not a JSON object");
	}
	std::string code = document->has("Code") ? stringMember(document, "Code") : "Success";
	static const Poco::RegularExpression codeName("^[A-Za-z0-9.]{1,64}$");
	if (code != "Success")
		throw Poco::DataFormatException(
			"the credentials document has " + (codeName.match(code) ? "Code " + code : std::string("a malformed Code")));

	Credentials credentials;
	credentials.accessKeyId = stringMember(document, "AccessKeyId");
	credentials.secretAccessKey = stringMember(document, "SecretAccessKey");
	credentials.sessionToken = stringMember(document, "Token");
	credentials.source = source;
	if (credentials.accessKeyId.empty() || credentials.secretAccessKey.empty())
		throw Poco::DataFormatException("the credentials document has no AccessKeyId or SecretAccessKey");
	requireHeaderSafe(credentials);
	std::string expiration = stringMember(document, "Expiration");
	if (!expiration.empty())
	{
		credentials.expiration = parseExpiration(expiration);
		if (!credentials.expiration) throw Poco::DataFormatException("the credentials document's Expiration is not ISO 8601");
	}
	return credentials;
}

} // namespace aws
} // namespace plugins
} // namespace asprof

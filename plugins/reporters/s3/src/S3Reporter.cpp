#include "S3Reporter.h"
#include "S3Key.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/plugins/aws/SigV4Signer.h"
#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/Base64Encoder.h"
#include "Poco/DigestEngine.h"
#include "Poco/Environment.h"
#include "Poco/Logger.h"
#include "Poco/MD5Engine.h"
#include "Poco/RegularExpression.h"
#include <algorithm>
#include <sstream>

namespace asprof {
namespace plugins {

namespace {

const std::size_t MAX_REMEMBERED_KEYS = 4096;

const char* const RETRYABLE_CODES[] = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed", "ExpiredToken"};

std::string base64(const Poco::DigestEngine::Digest& digest)
{
	std::ostringstream out;
	Poco::Base64Encoder encoder(out);
	encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
	encoder.close();
	return out.str();
}

// The text of <name>...</name> in S3's XML error body, or "".
std::string xmlElement(const std::string& body, const std::string& name)
{
	std::string open = "<" + name + ">";
	std::string::size_type begin = body.find(open);
	if (begin == std::string::npos) return std::string();
	begin += open.size();
	std::string::size_type end = body.find("</" + name + ">", begin);
	return end == std::string::npos ? std::string() : body.substr(begin, end - begin);
}

bool isRetryableCode(const std::string& code)
{
	return std::any_of(std::begin(RETRYABLE_CODES), std::end(RETRYABLE_CODES), [&](const char* retryable) { return code == retryable; });
}

} // namespace

S3Reporter::S3Reporter() = default;

S3Reporter::~S3Reporter() = default;

void S3Reporter::configure(sdk::PluginContext& context)
{
	_logger = &context.logger();
	static const Poco::RegularExpression bucketName("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");
	_options.bucket = context.getRequiredString("bucket");
	if (!bucketName.match(_options.bucket)) context.throwBadValue("bucket", _options.bucket, "an S3 bucket name (3-63 of a-z 0-9 . -)");
	_options.profilingGroup = context.getString("profilingGroup", _options.profilingGroup);
	if (_options.profilingGroup.empty()) context.throwBadValue("profilingGroup", "", "a non-empty name");
	_options.keyPrefix = context.getString("keyPrefix", "");
	_options.bucketOwner = context.getString("bucketOwner", "");
	static const Poco::RegularExpression accountId("^[0-9]{12}$");
	if (!_options.bucketOwner.empty() && !accountId.match(_options.bucketOwner))
		context.throwBadValue("bucketOwner", _options.bucketOwner, "a 12-digit AWS account id");
	_options.region = context.getString("region", "");
	_options.endpoint = context.getString("endpoint", "");
	if (!_options.endpoint.empty())
	{
		Poco::URI endpoint(_options.endpoint);
		if ((endpoint.getScheme() != "http" && endpoint.getScheme() != "https") || endpoint.getHost().empty())
			context.throwBadValue("endpoint", _options.endpoint, "an http:// or https:// URL");
	}
	_options.pathStyle = context.getBool("pathStyle", false);
	_options.http = readHttpOptions(context);
	_options.credentials.accessKeyId = context.getString("accessKeyId", "");
	_options.credentials.secretAccessKey = context.getString("secretAccessKey", "");
	_options.credentials.sessionToken = context.getString("sessionToken", "");
	if (_options.credentials.accessKeyId.empty() != _options.credentials.secretAccessKey.empty())
		context.throwBadValue(_options.credentials.accessKeyId.empty() ? "secretAccessKey" : "accessKeyId", "(hidden)",
			"accessKeyId and secretAccessKey together, or neither");
	if (!_options.credentials.accessKeyId.empty())
		_logger->warning("[%s] holds AWS keys; prefer the environment, ~/.aws or an instance role", context.sectionName());
	_options.credentials.profile = context.getString("profile", "");
}

void S3Reporter::start()
{
	_http.reset(new HttpClient(_options.http));
	if (!_credentials) _credentials.reset(new aws::CredentialsChain(_options.credentials));
}

void S3Reporter::setCredentialsProvider(std::unique_ptr<aws::CredentialsProvider> provider)
{
	_credentials = std::move(provider);
}

std::string S3Reporter::keyFor(const sdk::Profile& profile)
{
	auto id = std::make_pair(profile.pid, profile.seq);
	auto it = _keys.find(id);
	if (it != _keys.end()) return it->second;
	// Never two profiles of one process under one key, even within a second.
	Poco::Timestamp::TimeVal second = profile.end.epochTime();
	auto last = _lastKeySecond.find(profile.pid);
	if (last != _lastKeySecond.end() && second <= last->second) second = last->second + 1;
	_lastKeySecond[profile.pid] = second;
	std::string key = S3Key::make(_options.keyPrefix, _options.profilingGroup, profile.host, profile.pid, Poco::Timestamp::fromEpochTime(second));
	_keys[id] = key;
	// Bounded: profiles the lane gave up on never come back for their key.
	while (_keys.size() > MAX_REMEMBERED_KEYS) _keys.erase(_keys.begin());
	return key;
}

std::string S3Reporter::regionFor(const sdk::Profile& profile) const
{
	if (!_options.region.empty()) return _options.region;
	for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"})
	{
		std::string region = Poco::Environment::get(variable, "");
		if (!region.empty()) return region;
	}
	return profile.host.field("region");
}

std::string S3Reporter::Location::url() const
{
	return server.getScheme() + "://" + host + path;
}

S3Reporter::Location S3Reporter::objectLocation(const std::string& region, const std::string& key) const
{
	Location location;
	location.server = Poco::URI(_options.endpoint.empty() ? "https://s3." + region + ".amazonaws.com" : _options.endpoint);
	std::string basePath = aws::SigV4Signer::uriEncode(location.server.getPath(), false);
	if (!basePath.empty() && basePath.back() == '/') basePath.pop_back();
	std::string encodedKey = aws::SigV4Signer::uriEncode(key, false);
	if (_options.pathStyle)
	{
		location.path = basePath + "/" + aws::SigV4Signer::uriEncode(_options.bucket, false) + "/" + encodedKey;
	}
	else
	{
		location.server.setHost(_options.bucket + "." + location.server.getHost());
		location.path = basePath + "/" + encodedKey;
	}
	bool defaultPort = (location.server.getScheme() == "https" && location.server.getPort() == 443) ||
		(location.server.getScheme() == "http" && location.server.getPort() == 80);
	location.host = location.server.getHost() + (defaultPort ? "" : ":" + std::to_string(location.server.getPort()));
	return location;
}

sdk::ReportResult S3Reporter::report(const sdk::Profile& profile)
{
	const std::string what = "s3 PutObject s3://" + _options.bucket;
	return reportClassified(what, [&] {
		std::string region = regionFor(profile);
		if (region.empty())
			return sdk::ReportResult::fail(what + ": no region: set region = in the section, or AWS_REGION, or run where host metadata has one");
		std::string key = keyFor(profile);
		sdk::ReportResult result = put(profile, region, key);
		if (result.status != sdk::ReportResult::Status::Retry) _keys.erase(std::make_pair(profile.pid, profile.seq));
		return result;
	});
}

sdk::ReportResult S3Reporter::put(const sdk::Profile& profile, const std::string& region, const std::string& key)
{
	std::string body = sdk::ProfileArchive::toString(profile);
	Poco::MD5Engine md5;
	md5.update(body);
	Location location = objectLocation(region, key);
	const std::string& host = location.host;

	aws::SigningRequest signing;
	signing.method = "PUT";
	signing.path = location.path;
	signing.payloadHash = aws::SigV4Signer::sha256Hex(body);
	signing.headers = {{"host", host}, {"content-type", "application/zip"}, {"content-md5", base64(md5.digest())},
		{"content-length", std::to_string(body.size())}};
	if (!_options.bucketOwner.empty()) signing.headers.emplace_back("x-amz-expected-bucket-owner", _options.bucketOwner);

	aws::Credentials credentials = _credentials->get();
	aws::SigV4Signer signer(region, "s3");
	HttpRequest request;
	request.method = "PUT";
	request.uri = location.server;
	request.target = location.path; // exactly what was signed
	request.headers = {{"Host", host}, {"Content-Type", "application/zip"}, {"Content-MD5", signing.headers[2].second}};
	if (!_options.bucketOwner.empty()) request.headers.emplace_back("x-amz-expected-bucket-owner", _options.bucketOwner);
	for (const auto& header : signer.sign(signing, credentials, Poco::Timestamp())) request.headers.push_back(header);
	request.body = std::move(body);

	HttpResponse response = _http->send(request);
	sdk::ReportResult result = classify(response, "s3 PutObject s3://" + _options.bucket + "/" + key);
	if (result.isOk() && _logger) _logger->debug("uploaded s3://%s/%s", _options.bucket, key);
	return result;
}

sdk::ReportResult S3Reporter::classify(const HttpResponse& response, const std::string& what)
{
	if (response.status >= 200 && response.status < 300) return sdk::ReportResult::ok();
	std::string code = xmlElement(response.body, "Code");
	std::string message = xmlElement(response.body, "Message");
	if (code.empty()) return classifyResponse(response, what);
	std::string text = what + ": HTTP " + std::to_string(response.status) + " " + code + (message.empty() ? "" : ": " + message);
	if (code == "ExpiredToken") _credentials->invalidate(); // the next attempt fetches new ones
	const std::optional<Poco::Timespan> retryAfter = parseRetryAfter(response.header("Retry-After"));
	// S3's code says what its status may not (RequestTimeTooSkewed is a 403, ExpiredToken a 400);
	// every other case is the shared status table's.
	if (isRetryableCode(code)) return sdk::ReportResult::retry(text, retryAfter);
	return classifyHttpStatus(response.status, text, retryAfter);
}

} } // namespace asprof::plugins

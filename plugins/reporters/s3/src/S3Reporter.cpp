#include "S3Reporter.h"
#include "S3Key.h"
#include "asprof/plugins/DescriptorStream.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/plugins/aws/SigV4Signer.h"
#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/Base64Encoder.h"
#include "Poco/DigestEngine.h"
#include "Poco/DigestStream.h"
#include "Poco/Environment.h"
#include "Poco/Logger.h"
#include "Poco/MD5Engine.h"
#include "Poco/Net/IPAddress.h"
#include "Poco/RegularExpression.h"
#include "Poco/SHA2Engine.h"
#include "Poco/URI.h"
#include <algorithm>
#include <sstream>

namespace asprof {
namespace plugins {

namespace {

const std::size_t MAX_REMEMBERED_KEYS = 4096;
const std::size_t MAX_ERROR_TEXT = 200; // of S3's <Code> and <Message>, each

const char* const RETRYABLE_CODES[] = {
	"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed", "ExpiredToken"};

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

// S3's words go into results and logs: one line, no escape sequences, bounded.
std::string sanitized(const std::string& text)
{
	std::string clean;
	for (char c : text.substr(0, MAX_ERROR_TEXT)) clean += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
	return text.size() > MAX_ERROR_TEXT ? clean + "..." : clean;
}

// AWS's rules: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no "..",
// not an IPv4 address, none of the reserved prefixes and suffixes.
bool isBucketName(const std::string& bucket)
{
	static const Poco::RegularExpression shape("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");
	static const Poco::RegularExpression ipAddress("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$");
	static const Poco::RegularExpression reserved(
		"^(xn--|sthree-|amzn-s3-demo-).*|.*(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$"); // match(): the whole name
	return shape.match(bucket) && bucket.find("..") == std::string::npos && !ipAddress.match(bucket) && !reserved.match(bucket);
}

// Each '/'-separated segment of letters, digits, . _ -; never "." or "..", never an empty
// segment (so no leading '/' or "//"); a trailing '/' is fine ("profiles/").
bool isKeyPrefix(const std::string& prefix)
{
	static const Poco::RegularExpression segment("^[A-Za-z0-9._-]+$");
	std::size_t begin = 0;
	while (begin < prefix.size())
	{
		std::size_t end = prefix.find('/', begin);
		if (end == std::string::npos) end = prefix.size();
		const std::string part = prefix.substr(begin, end - begin);
		if (!segment.match(part) || part == "." || part == "..") return false;
		begin = end + 1;
	}
	return true;
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
	static const Poco::RegularExpression groupName("^[A-Za-z0-9._-]{1,128}$");
	_options.bucket = getRequiredString(context, "bucket");
	if (!isBucketName(_options.bucket))
		throwBadValue(context, "bucket", _options.bucket,
			"an S3 bucket name: 3-63 of a-z 0-9 . -, a letter or digit at both ends, no \"..\", not an IP address");
	_options.profilingGroup = getString(context, "profilingGroup", _options.profilingGroup);
	if (!groupName.match(_options.profilingGroup))
		throwBadValue(context, "profilingGroup", _options.profilingGroup, "1-128 of A-Z a-z 0-9 . _ - (no '/', spaces, '?', '#')");
	_options.keyPrefix = getString(context, "keyPrefix", "");
	if (!isKeyPrefix(_options.keyPrefix))
		throwBadValue(context, "keyPrefix", _options.keyPrefix,
			"'/'-separated segments of A-Z a-z 0-9 . _ -, none empty, \".\" or \"..\" (e.g. profiles/ or team/app/)");
	_options.bucketOwner = getString(context, "bucketOwner", "");
	static const Poco::RegularExpression accountId("^[0-9]{12}$");
	if (!_options.bucketOwner.empty() && !accountId.match(_options.bucketOwner))
		throwBadValue(context, "bucketOwner", _options.bucketOwner, "a 12-digit AWS account id");
	_options.region = getString(context, "region", "");
	_options.endpoint = getString(context, "endpoint", "");
	if (!_options.endpoint.empty())
	{
		Poco::URI endpoint(_options.endpoint);
		if ((endpoint.getScheme() != "http" && endpoint.getScheme() != "https") || endpoint.getHost().empty())
			throwBadValue(context, "endpoint", _options.endpoint, "an http:// or https:// URL");
	}
	_options.pathStyle = getBool(context, "pathStyle", false);
	if (!_options.endpoint.empty() && !_options.pathStyle)
	{
		// Virtual-hosted style puts the bucket in the host name, which an IP address cannot carry.
		Poco::Net::IPAddress address;
		std::string host = Poco::URI(_options.endpoint).getHost();
		if (Poco::Net::IPAddress::tryParse(host, address))
			throwBadValue(context, "endpoint", _options.endpoint + " with pathStyle = no",
				"pathStyle = yes for an IP address endpoint (virtual-hosted style puts the bucket in the host name)");
	}
	_options.compressionLevel = sdk::ProfileArchive::readCompressionLevel(context);
	_options.http = readHttpOptions(context);
	_options.credentials.accessKeyId = getString(context, "accessKeyId", "");
	_options.credentials.secretAccessKey = getSecret(context, "secretAccessKey");
	_options.credentials.sessionToken = getSecret(context, "sessionToken");
	if (_options.credentials.accessKeyId.empty() != _options.credentials.secretAccessKey.empty())
		throwBadSecret(context, _options.credentials.accessKeyId.empty() ? "secretAccessKey" : "accessKeyId",
			"accessKeyId and secretAccessKey together, or neither");
	if (!_options.credentials.accessKeyId.empty())
		_logger->warning("[%s] holds AWS keys; prefer the environment, ~/.aws or an instance role", context.sectionName());
	_options.credentials.profile = getString(context, "profile", "");
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
	std::string key =
		S3Key::make(_options.keyPrefix, _options.profilingGroup, profile.host, profile.pid, Poco::Timestamp::fromEpochTime(second));
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
			return sdk::ReportResult::fail(
				what + ": no region: set region = in the section, or AWS_REGION, or run where host metadata has one");
		static const Poco::RegularExpression regionName("^[a-z0-9-]{1,32}$");
		if (!regionName.match(region))
			return sdk::ReportResult::fail(what + ": the region \"" + sanitized(region) + "\" is not an AWS region name");
		std::string key = keyFor(profile);
		sdk::ReportResult result = put(profile, region, key);
		if (result.status != sdk::ReportResult::Status::Retry) _keys.erase(std::make_pair(profile.pid, profile.seq));
		return result;
	});
}

sdk::ReportResult S3Reporter::put(const sdk::Profile& profile, const std::string& region, const std::string& key)
{
	// The zip is written once into a memory file (seekable: Poco's zip patches each
	// entry's header after its data, so no digest can follow the writes), then one
	// read of it feeds both digests, then it is streamed from the file as the body.
	auto body = std::make_shared<MemoryFile>("zip of profile " + std::to_string(profile.seq));
	sdk::ProfileArchive::write(profile, body->out(), _options.compressionLevel);
	const std::uint64_t length = body->finish();
	Poco::MD5Engine md5;
	Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
	{
		Poco::DigestOutputStream sha256Stream(sha256);
		Poco::DigestOutputStream md5Stream(md5, sha256Stream);
		body->copyTo(md5Stream);
		md5Stream.close();
		sha256Stream.close();
	}
	Location location = objectLocation(region, key);
	const std::string& host = location.host;

	aws::SigningRequest signing;
	signing.method = "PUT";
	signing.path = location.path;
	signing.payloadHash = Poco::DigestEngine::digestToHex(sha256.digest());
	signing.headers = {{"host", host}, {"content-type", "application/zip"}, {"content-md5", base64(md5.digest())},
		{"content-length", std::to_string(length)}};
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
	request.bodyLength = length;
	request.writeBody = [body](std::ostream& out) { body->copyTo(out); };

	HttpResponse response = _http->send(request);
	sdk::ReportResult result = classify(response, "s3 PutObject s3://" + _options.bucket + "/" + key);
	if (result.isOk() && _logger) _logger->debug("uploaded s3://%s/%s", _options.bucket, key);
	return result;
}

sdk::ReportResult S3Reporter::classify(const HttpResponse& response, const std::string& what)
{
	const bool success = response.status >= 200 && response.status < 300;
	// A 2xx whose body is an <Error> document did not store the object.
	if (success && response.body.find("<Error>") == std::string::npos) return sdk::ReportResult::ok();
	const std::string code = sanitized(xmlElement(response.body, "Code"));
	const std::string message = sanitized(xmlElement(response.body, "Message"));
	if (code.empty() && !success) return classifyResponse(response, what);
	const std::string text = what + ": HTTP " + std::to_string(response.status) + (success ? " with an <Error> document " : " ") +
		(code.empty() ? "(no code)" : code) + (message.empty() ? "" : ": " + message);
	if (code == "ExpiredToken") _credentials->invalidate(); // the next attempt fetches new ones
	const std::optional<Poco::Timespan> retryAfter = parseRetryAfter(response.header("Retry-After"));
	// S3's code says what its status may not (RequestTimeTooSkewed is a 403, ExpiredToken a 400,
	// InternalError inside a 200); every other case is the shared status table's.
	if (isRetryableCode(code) || (success && code.empty())) return sdk::ReportResult::retry(text, retryAfter);
	return classifyHttpStatus(success ? 400 : response.status, text, retryAfter);
}

} // namespace plugins
} // namespace asprof

#include "asprof/plugins/aws/SigV4Signer.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/DigestEngine.h"
#include "Poco/Exception.h"
#include "Poco/HMACEngine.h"
#include "Poco/SHA2Engine.h"
#include "Poco/String.h"
#include <algorithm>

namespace asprof {
namespace plugins {
namespace aws {

namespace {

const std::string ALGORITHM = "AWS4-HMAC-SHA256";

// HMACEngine needs BLOCK_SIZE and DIGEST_SIZE on its engine; SHA2Engine has
// neither because one class serves all SHA-2 sizes.
class Sha256Engine: public Poco::SHA2Engine
{
public:
	enum
	{
		BLOCK_SIZE = 64,
		DIGEST_SIZE = 32
	};

	Sha256Engine(): Poco::SHA2Engine(Poco::SHA2Engine::SHA_256)
	{
	}
};

// Trims the value and collapses each run of white space into one space.
std::string canonicalHeaderValue(const std::string& value)
{
	std::string result;
	bool pendingSpace = false;
	for (char c : value)
	{
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		{
			pendingSpace = !result.empty();
			continue;
		}
		if (pendingSpace) result += ' ';
		pendingSpace = false;
		result += c;
	}
	return result;
}

// RFC 3986 remove_dot_segments, and empty segments dropped ("//a//" -> "/a/").
std::vector<std::string> normalizedSegments(const std::string& path, bool& trailingSlash)
{
	std::vector<std::string> segments;
	std::string::size_type start = 0;
	trailingSlash = false;
	while (start <= path.size())
	{
		std::string::size_type end = path.find('/', start);
		if (end == std::string::npos) end = path.size();
		std::string segment = path.substr(start, end - start);
		bool last = end == path.size();
		if (segment == "..")
		{
			if (!segments.empty()) segments.pop_back();
		}
		else if (!segment.empty() && segment != ".")
		{
			segments.push_back(segment);
		}
		if (last) trailingSlash = segment.empty() || segment == "." || segment == "..";
		start = end + 1;
	}
	return segments;
}

// S3 signs the path as sent; other services sign it normalized and encoded
// once more (each segment), as AWS specifies.
std::string canonicalUri(const std::string& path, bool s3)
{
	if (path.empty()) return "/";
	if (s3) return path;

	bool trailingSlash = false;
	std::string result;
	for (const auto& segment : normalizedSegments(path, trailingSlash)) result += "/" + SigV4Signer::uriEncode(segment, true);
	if (result.empty() || trailingSlash) result += "/";
	return result;
}

// Encoded names and values, sorted by name, then value.
std::string canonicalQuery(const HeaderList& query)
{
	HeaderList encoded;
	for (const auto& parameter : query)
		encoded.emplace_back(SigV4Signer::uriEncode(parameter.first, true), SigV4Signer::uriEncode(parameter.second, true));
	std::sort(encoded.begin(), encoded.end());
	std::string result;
	for (const auto& parameter : encoded) result += (result.empty() ? "" : "&") + parameter.first + "=" + parameter.second;
	return result;
}

} // namespace

SigV4Signer::SigV4Signer(const std::string& region, const std::string& service): _region(region), _service(service)
{
}

HeaderList SigV4Signer::sign(const SigningRequest& request, const Credentials& credentials, const Poco::Timestamp& now) const
{
	HeaderList added;
	added.emplace_back("X-Amz-Date", amzDate(now));
	if (_service == "s3") added.emplace_back("X-Amz-Content-Sha256", request.payloadHash);
	if (!credentials.sessionToken.empty()) added.emplace_back("X-Amz-Security-Token", credentials.sessionToken);

	std::string canonical = canonicalRequest(request, added);
	// The signed-headers list is the canonical request's second-to-last line.
	std::string signedHeaders = canonical.substr(0, canonical.rfind('\n'));
	signedHeaders = signedHeaders.substr(signedHeaders.rfind('\n') + 1);
	std::string scope = dateStamp(now) + "/" + _region + "/" + _service + "/aws4_request";
	std::string authorization = ALGORITHM + " Credential=" + credentials.accessKeyId + "/" + scope + ", SignedHeaders=" + signedHeaders +
		", Signature=" + signature(stringToSign(canonical, now), credentials.secretAccessKey, now);
	added.emplace_back("Authorization", authorization);
	return added;
}

std::string SigV4Signer::canonicalRequest(const SigningRequest& request, const HeaderList& extraSignedHeaders) const
{
	std::string result = request.method + "\n" + canonicalUri(request.path, _service == "s3") + "\n" + canonicalQuery(request.query) + "\n";

	// Stable sort by lower-case name keeps repeated headers in their order;
	// their values are then joined with commas.
	HeaderList headers;
	for (const auto& header : request.headers)
	{
		std::string name = Poco::toLower(header.first);
		bool replaced = std::any_of(extraSignedHeaders.begin(), extraSignedHeaders.end(),
			[&name](const HeaderList::value_type& extra) { return Poco::toLower(extra.first) == name; });
		if (!replaced) headers.emplace_back(name, canonicalHeaderValue(header.second));
	}
	for (const auto& extra : extraSignedHeaders) headers.emplace_back(Poco::toLower(extra.first), canonicalHeaderValue(extra.second));
	std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
	if (std::none_of(headers.begin(), headers.end(), [](const auto& header) { return header.first == "host"; }))
		throw Poco::InvalidArgumentException("SigV4: the request to sign has no Host header");

	std::string signedHeaders;
	for (std::size_t i = 0; i < headers.size(); ++i)
	{
		if (i > 0 && headers[i].first == headers[i - 1].first)
		{
			result += "," + headers[i].second;
			continue;
		}
		if (i > 0) result += "\n";
		result += headers[i].first + ":" + headers[i].second;
		signedHeaders += (signedHeaders.empty() ? "" : ";") + headers[i].first;
	}
	return result + "\n\n" + signedHeaders + "\n" + request.payloadHash;
}

std::string SigV4Signer::stringToSign(const std::string& canonicalRequest, const Poco::Timestamp& now) const
{
	return ALGORITHM + "\n" + amzDate(now) + "\n" + dateStamp(now) + "/" + _region + "/" + _service + "/aws4_request\n" +
		sha256Hex(canonicalRequest);
}

std::string SigV4Signer::signature(const std::string& stringToSign, const std::string& secretAccessKey, const Poco::Timestamp& now) const
{
	std::string key = hmacSha256("AWS4" + secretAccessKey, dateStamp(now));
	key = hmacSha256(key, _region);
	key = hmacSha256(key, _service);
	key = hmacSha256(key, "aws4_request");
	std::string mac = hmacSha256(key, stringToSign);
	return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(mac.begin(), mac.end()));
}

std::string SigV4Signer::sha256Hex(const std::string& data)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(data);
	return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string SigV4Signer::hmacSha256(const std::string& key, const std::string& data)
{
	Poco::HMACEngine<Sha256Engine> engine(key);
	engine.update(data);
	const Poco::DigestEngine::Digest& digest = engine.digest();
	return std::string(digest.begin(), digest.end());
}

std::string SigV4Signer::uriEncode(const std::string& text, bool encodeSlash)
{
	static const char HEX[] = "0123456789ABCDEF";
	std::string result;
	result.reserve(text.size());
	for (char c : text)
	{
		unsigned char byte = static_cast<unsigned char>(c);
		bool unreserved =
			(c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
		if (unreserved || (c == '/' && !encodeSlash))
		{
			result += c;
			continue;
		}
		result += '%';
		result += HEX[byte >> 4];
		result += HEX[byte & 0x0F];
	}
	return result;
}

std::string SigV4Signer::amzDate(const Poco::Timestamp& time)
{
	return Poco::DateTimeFormatter::format(time, "%Y%m%dT%H%M%SZ");
}

std::string SigV4Signer::dateStamp(const Poco::Timestamp& time)
{
	return Poco::DateTimeFormatter::format(time, "%Y%m%d");
}

} // namespace aws
} // namespace plugins
} // namespace asprof

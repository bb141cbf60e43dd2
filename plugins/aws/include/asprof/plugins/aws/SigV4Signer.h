//
// SigV4Signer.h
//
// AWS Signature Version 4 (header-based), with Poco's SHA-256 and HMAC.
//

#ifndef Asprof_Plugins_Aws_SigV4Signer_INCLUDED
#define Asprof_Plugins_Aws_SigV4Signer_INCLUDED

#include "asprof/plugins/aws/Credentials.h"
#include "Poco/Timestamp.h"
#include <string>
#include <utility>
#include <vector>

namespace asprof {
namespace plugins {
namespace aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigningRequest
{
	std::string method;      ///< "PUT"
	std::string path;        ///< the URI path as sent, already URI-encoded ("/bucket/my%20key")
	HeaderList query;        ///< decoded name/value pairs; the signer encodes and sorts them
	HeaderList headers;      ///< headers to sign; must include host
	std::string payloadHash; ///< lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

/// Signs requests for one region and service ("s3", "iam", ...).
/// sign() returns the headers to add: X-Amz-Date, X-Amz-Content-Sha256
/// (service s3 only), X-Amz-Security-Token (session credentials) and
/// Authorization; all of them but Authorization are signed. The canonical
/// request, string to sign and signing key follow the AWS documentation:
/// S3 paths are signed as given (not normalized, not encoded twice); other
/// services' paths are normalized (dot segments and empty segments
/// removed) and each segment is encoded once more, as AWS specifies.
/// Header names are lower-cased, values trimmed with inner runs of white
/// space collapsed, repeated headers joined with commas in their order.
/// Tested against AWS's published SigV4 test suite and documented examples.
class SigV4Signer
{
public:
	SigV4Signer(const std::string& region, const std::string& service);

	/// The headers to add to the request, in this order: X-Amz-Date,
	/// X-Amz-Content-Sha256 (s3), X-Amz-Security-Token (session
	/// credentials), Authorization. request.headers should not contain
	/// them. Throws Poco::InvalidArgumentException without a Host header.
	HeaderList sign(const SigningRequest& request, const Credentials& credentials, const Poco::Timestamp& now) const;

	/// The canonical request text. The signed headers are request.headers
	/// and extraSignedHeaders, which replace request headers of the same
	/// name (case-insensitive).
	std::string canonicalRequest(const SigningRequest& request, const HeaderList& extraSignedHeaders = HeaderList()) const;

	/// "AWS4-HMAC-SHA256\n<amz date>\n<date>/<region>/<service>/aws4_request\n<hex sha256 of canonicalRequest>".
	std::string stringToSign(const std::string& canonicalRequest, const Poco::Timestamp& now) const;

	/// Lower-case hex HMAC-SHA256 of stringToSign with the key derived
	/// from the secret, date, region, service and "aws4_request".
	std::string signature(const std::string& stringToSign, const std::string& secretAccessKey, const Poco::Timestamp& now) const;

	static std::string sha256Hex(const std::string& data);

	/// Raw 32-byte MAC.
	static std::string hmacSha256(const std::string& key, const std::string& data);

	/// RFC 3986 unreserved characters (and "/" unless encodeSlash) kept;
	/// every other byte %XX (upper case).
	static std::string uriEncode(const std::string& text, bool encodeSlash);
	static std::string amzDate(const Poco::Timestamp& time);   ///< "20150830T123600Z"
	static std::string dateStamp(const Poco::Timestamp& time); ///< "20150830"

private:
	std::string _region;
	std::string _service;
};

} // namespace aws
} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_Aws_SigV4Signer_INCLUDED

//
// S3Harness.h
//
// A real S3-compatible endpoint for the tests: s3rver behind a proxy that checks
// every SigV4 signature with AWS's own JavaScript signer (tests/node).
//

#ifndef Asprof_Tests_S3Harness_INCLUDED
#define Asprof_Tests_S3Harness_INCLUDED

#include "Poco/Pipe.h"
#include "Poco/Process.h"
#include "Poco/Timespan.h"
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace asprof {
namespace test {

/// Runs `node tests/node/s3-harness.mjs` for the lifetime of the object:
///
///   S3Harness s3("profiles-test", "AKIDTEST", "test-secret-key");
///   // point the reporter at s3.endpoint(), bucket s3.bucket(), region us-east-1,
///   // path-style, those credentials; then:
///   std::map<std::string, std::string> objects = s3.readObjects(); // key -> bytes
///
/// endpoint() accepts only requests whose SigV4 signature (recomputed with
/// @smithy/signature-v4 from the request's x-amz-date, SignedHeaders and
/// x-amz-content-sha256) matches and whose x-amz-content-sha256 is the body's SHA-256
/// (or UNSIGNED-PAYLOAD); others get S3's error XML: 403 SignatureDoesNotMatch (with
/// the CanonicalRequest the harness computed), 403 AccessDenied (no Authorization),
/// 403 InvalidAccessKeyId, 403 RequestTimeTooSkewed (> 15 min), 400
/// XAmzContentSHA256Mismatch, 400 InvalidRequest (no x-amz-content-sha256), 501
/// NotImplemented (STREAMING-* payloads). Accepted requests reach s3rver unchanged.
/// s3rverEndpoint() is s3rver itself, which checks nothing (to seed or inspect).
///
/// Construct only when available(); tests print "SKIPPED: <why>" otherwise.
class S3Harness
{
public:
	struct Object
	{
		std::string bytes;
		std::string contentType;
		std::map<std::string, std::string> metadata; ///< x-amz-meta-<name> headers, by <name>
	};

	/// Starts the harness and waits for its ready line; throws Poco::RuntimeException
	/// with the harness's stderr when it does not come within startTimeout.
	explicit S3Harness(const std::string& bucket = "profiles-test", const std::string& accessKey = "AKIDTEST",
		const std::string& secretKey = "test-secret-key", Poco::Timespan startTimeout = Poco::Timespan(30, 0));

	/// Closes the harness's stdin and waits for it to exit (it removes its data);
	/// kills it when it has not exited after 10 s.
	~S3Harness();

	S3Harness(const S3Harness&) = delete;
	S3Harness& operator=(const S3Harness&) = delete;

	/// "http://127.0.0.1:<port>": the signature-checking proxy.
	const std::string& endpoint() const;

	/// "http://127.0.0.1:<port>": s3rver, unchecked.
	const std::string& s3rverEndpoint() const;
	const std::string& bucket() const;
	const std::string& accessKey() const;
	const std::string& secretKey() const;

	/// Every object in the bucket, key -> bytes, as read back by the AWS SDK for
	/// JavaScript through endpoint() (tests/node/s3-read.mjs). Throws
	/// Poco::RuntimeException with the reader's error when it fails.
	std::map<std::string, std::string> readObjects() const;

	/// The same with each object's Content-Type and user metadata.
	std::map<std::string, Object> readObjectsWithMetadata() const;

	/// What the harness logged on stderr so far (one line per request checked).
	std::string log() const;

	/// node (the NODE environment variable, else `node` in PATH) runs, is version 18
	/// or later, and tests/node/node_modules is installed (scripts/test installs it).
	static bool available(std::string& why);
	static std::string nodeCommand();

	/// tests/node in the source tree.
	static std::string nodeDirectory();

private:
	void readReadyLine(Poco::Timespan timeout);
	void drainStderr();
	void stop();

	std::string _bucket;
	std::string _accessKey;
	std::string _secretKey;
	std::string _endpoint;
	std::string _s3rverEndpoint;
	Poco::Pipe _stdin;
	Poco::Pipe _stdout;
	Poco::Pipe _stderr;
	std::unique_ptr<Poco::ProcessHandle> _process;
	std::thread _stderrReader;
	mutable std::mutex _mutex;
	std::string _log;
};

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_S3Harness_INCLUDED

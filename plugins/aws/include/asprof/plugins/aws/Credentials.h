//
// Credentials.h
//
// AWS credentials and the chain that finds them.
//

#ifndef Asprof_Plugins_Aws_Credentials_INCLUDED
#define Asprof_Plugins_Aws_Credentials_INCLUDED

#include "Poco/Exception.h"
#include "Poco/Mutex.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
#include <memory>
#include <optional>
#include <string>

namespace asprof {
namespace plugins {
namespace aws {

POCO_DECLARE_EXCEPTION(, CredentialsException, Poco::RuntimeException)
	///< No credentials could be found or fetched. The message says which
	///< sources were tried and why each failed; it never contains a secret.

struct Credentials
{
	std::string accessKeyId;
	std::string secretAccessKey; ///< never logged
	std::string sessionToken;    ///< empty for long-term keys; never logged
	std::optional<Poco::Timestamp> expiration; ///< for temporary credentials
	std::string source;          ///< "config", "environment", "profile <name>", "ecs", "imds"

	bool expiresWithin(const Poco::Timespan& margin, const Poco::Timestamp& now = Poco::Timestamp()) const;
		/// True for temporary credentials that expire before now + margin.
};

class CredentialsProvider
	/// Where a signer gets credentials. get() is called before every request;
	/// implementations cache.
{
public:
	virtual ~CredentialsProvider();
	virtual Credentials get() = 0;
		/// Throws CredentialsException.
};

struct CredentialsChainOptions
{
	std::string accessKeyId;     ///< from the plugin's section (discouraged)
	std::string secretAccessKey;
	std::string sessionToken;
	std::string profile;         ///< empty: $AWS_PROFILE, else "default"
	Poco::Timespan timeout = Poco::Timespan(1, 0); ///< for the ECS and IMDS endpoints
	std::string imdsEndpoint;    ///< empty: $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254
	std::string ecsHost = "169.254.170.2"; ///< for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (tests change it)
	Poco::Timespan refreshMargin = Poco::Timespan(5 * 60, 0); ///< refresh temporary credentials this long before expiry
};

class CredentialsChain: public CredentialsProvider
	/// The AWS default chain, in order:
	///   1. keys in the plugin's section (accessKeyId + secretAccessKey [+ sessionToken]);
	///   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN];
	///   3. the shared files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials)
	///      and AWS_CONFIG_FILE (default ~/.aws/config, "[profile name]" sections),
	///      profile from the options, AWS_PROFILE, else "default";
	///   4. ECS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
	///      (http://169.254.170.2<uri>) or AWS_CONTAINER_CREDENTIALS_FULL_URI with
	///      AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
	///   5. the EC2 instance profile through IMDSv2.
	/// The first source that has credentials wins and is remembered; temporary
	/// credentials are fetched again refreshMargin before they expire.
	/// Thread-safe.
{
public:
	explicit CredentialsChain(const CredentialsChainOptions& options);
	~CredentialsChain() override;

	Credentials get() override;

private:
	Credentials resolve();

	CredentialsChainOptions _options;
	Poco::FastMutex _mutex;
	std::optional<Credentials> _cached;
};

} } } // namespace asprof::plugins::aws

#endif // Asprof_Plugins_Aws_Credentials_INCLUDED

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

POCO_DECLARE_EXCEPTION(, CredentialsException, Poco::IOException)
///< No credentials could be found or fetched. The message says which
///< sources were tried and why each failed; it never contains a secret.
///< An IOException (reading files, asking metadata endpoints), so a report
///< that meets it is retried (ErrorClassification): credentials may appear
///< (a role attached, an endpoint back); wrong ones are the service's 403.

struct Credentials
{
	std::string accessKeyId;
	std::string secretAccessKey;               ///< never logged
	std::string sessionToken;                  ///< empty for long-term keys; never logged
	std::optional<Poco::Timestamp> expiration; ///< for temporary credentials
	std::string source;                        ///< "config", "environment", "profile <name>", "ecs", "imds"

	/// True for temporary credentials that expire before now + margin.
	bool expiresWithin(const Poco::Timespan& margin, const Poco::Timestamp& now = Poco::Timestamp()) const;
};

/// Where a signer gets credentials. get() is called before every request;
/// implementations cache.
class CredentialsProvider
{
public:
	virtual ~CredentialsProvider();

	/// Valid credentials. Throws CredentialsException.
	virtual Credentials get() = 0;

	/// The service refused the current credentials as expired (e.g. S3's
	/// ExpiredToken): temporary ones are fetched again at the next get().
	/// The default does nothing.
	virtual void invalidate();
};

struct CredentialsChainOptions
{
	std::string accessKeyId; ///< from the plugin's section (discouraged)
	std::string secretAccessKey;
	std::string sessionToken;
	std::string profile;                                      ///< empty: $AWS_PROFILE, else "default"
	Poco::Timespan timeout = Poco::Timespan(1, 0);            ///< for the ECS and IMDS endpoints
	std::string imdsEndpoint;                                 ///< empty: $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254
	std::string ecsHost = "169.254.170.2";                    ///< for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (tests change it)
	Poco::Timespan refreshMargin = Poco::Timespan(5 * 60, 0); ///< refresh temporary credentials this long before expiry
};

/// The AWS default chain, in order:
///   1. keys in the plugin's section (accessKeyId + secretAccessKey [+ sessionToken]);
///   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN];
///   3. the shared files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials,
///      "[name]" sections) and AWS_CONFIG_FILE (default ~/.aws/config,
///      "[profile name]" sections, "[default]"), profile from the options,
///      AWS_PROFILE, else "default"; keys aws_access_key_id,
///      aws_secret_access_key, aws_session_token; the credentials file wins
///      key by key; ~ is $HOME. Profiles that assume roles, run processes or
///      use SSO are not supported (the error says so);
///   4. ECS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
///      (http://<ecsHost><uri>) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https,
///      or http to loopback, 169.254.170.2 or 169.254.170.23) with the
///      Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
///      (read again on each fetch) or AWS_CONTAINER_AUTHORIZATION_TOKEN;
///   5. the EC2 instance profile through IMDSv2 (ImdsClient, endpoint from
///      imdsEndpoint; skipped when AWS_EC2_METADATA_DISABLED=true).
/// The first source that has credentials wins and is remembered; temporary
/// credentials (ecs, imds) are fetched again from the same source
/// refreshMargin before they expire. When that refresh fails while the
/// current credentials are still valid, get() keeps returning them and logs
/// a warning (logger "asprof.aws.credentials"); it tries again on the next get().
/// When nothing is found, CredentialsException says why for every source:
/// "no AWS credentials: config: not set; environment: AWS_ACCESS_KEY_ID not
/// set; profile default: no such profile in ...; ecs: ...; imds: ...".
/// Network sources use timeout per request (ImdsOptions' attempts), so a
/// host that is neither ECS nor EC2 fails within a few seconds.
/// Thread-safe: get() serializes callers while it fetches.
class CredentialsChain: public CredentialsProvider
{
public:
	explicit CredentialsChain(const CredentialsChainOptions& options);
	~CredentialsChain() override;

	Credentials get() override;
	void invalidate() override;

private:
	/// Walks the chain, or asks only the remembered source for a refresh.
	Credentials resolve();

	CredentialsChainOptions _options;
	Poco::FastMutex _mutex;
	std::optional<Credentials> _cached;
};

} // namespace aws
} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_Aws_Credentials_INCLUDED

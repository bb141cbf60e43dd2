//
// CredentialSources.h
//
// The five sources of the AWS default credentials chain (internal to
// asprof-plugin-aws; CredentialsChain walks them in this order).
//

#ifndef Asprof_Plugins_Aws_CredentialSources_INCLUDED
#define Asprof_Plugins_Aws_CredentialSources_INCLUDED

#include "asprof/plugins/aws/Credentials.h"
#include <optional>
#include <string>

namespace asprof {
namespace plugins {
namespace aws {

// Each source returns the credentials it has, or nullopt and sets failure to
// "<source>: <why not>" (never containing a secret, a token or a response body).

/// "config": accessKeyId + secretAccessKey [+ sessionToken] of the options.
std::optional<Credentials> credentialsFromOptions(const CredentialsChainOptions& options, std::string& failure);

/// "environment": AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN].
std::optional<Credentials> credentialsFromEnvironment(std::string& failure);

/// "profile <name>": the shared credentials and config files.
std::optional<Credentials> credentialsFromProfile(const std::string& profile, std::string& failure);

/// "ecs": the container credentials endpoint.
std::optional<Credentials> credentialsFromContainer(const CredentialsChainOptions& options, std::string& failure);

/// "imds": the EC2 instance profile through IMDSv2.
std::optional<Credentials> credentialsFromInstanceProfile(const CredentialsChainOptions& options, std::string& failure);

/// Printable ASCII without spaces (0x21-0x7e), what keys and tokens are made of.
bool isHeaderSafe(const std::string& text);

/// Throws Poco::DataFormatException naming the field (never its value) when the
/// access key id, secret or session token is not isHeaderSafe().
void requireHeaderSafe(const Credentials& credentials);

/// The AccessKeyId, SecretAccessKey, Token and Expiration of an ECS or IMDS
/// answer (Code, when present, must be "Success"). Each member present must be a
/// JSON string (null counts as absent), and the keys and token isHeaderSafe().
/// Throws Poco::DataFormatException that never quotes the document.
Credentials parseCredentialsDocument(const std::string& json, const std::string& source);

} // namespace aws
} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_Aws_CredentialSources_INCLUDED

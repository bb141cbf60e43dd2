#include "asprof/plugins/aws/Credentials.h"
#include "CredentialSources.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/Logger.h"
#include <functional>
#include <vector>

namespace asprof {
namespace plugins {
namespace aws {

namespace {

using Source = std::function<std::optional<Credentials>(std::string& failure)>;

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.aws.credentials");
}

// Enough of the access key id to tell keys apart; the rest stays out of logs.
std::string keyHint(const std::string& accessKeyId)
{
	return accessKeyId.substr(0, 4) + "...";
}

std::string describe(const Credentials& credentials)
{
	std::string text = "from " + credentials.source + " (access key " + keyHint(credentials.accessKeyId);
	if (credentials.expiration)
		text += ", expires " + Poco::DateTimeFormatter::format(*credentials.expiration, Poco::DateTimeFormat::ISO8601_FORMAT);
	return text + ")";
}

// Temporary credentials come from these two; a refresh asks the same source again.
bool isRefreshable(const std::string& source)
{
	return source == "ecs" || source == "imds";
}

} // namespace

CredentialsChain::CredentialsChain(const CredentialsChainOptions& options): _options(options)
{
}

CredentialsChain::~CredentialsChain()
{
}

Credentials CredentialsChain::get()
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	Poco::Timestamp now;
	if (_cached && !_cached->expiresWithin(_options.refreshMargin, now)) return *_cached;
	try
	{
		_cached = resolve();
		logger().information("AWS credentials " + describe(*_cached));
		return *_cached;
	}
	catch (const CredentialsException& error)
	{
		if (!_cached || _cached->expiresWithin(Poco::Timespan(0), now)) throw;
		logger().warning(error.message() + "; keeping the current credentials " + describe(*_cached));
		return *_cached;
	}
}

void CredentialsChain::invalidate()
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	// Long-term keys cannot expire; temporary ones are fetched again, and not
	// kept if that fails (the service already refused them).
	if (_cached && _cached->expiration) _cached->expiration = Poco::Timestamp() - Poco::Timespan(1, 0);
}

Credentials CredentialsChain::resolve()
{
	const CredentialsChainOptions& options = _options;
	std::vector<std::pair<std::string, Source>> sources = {
		{"config", [&options](std::string& failure) { return credentialsFromOptions(options, failure); }},
		{"environment", [](std::string& failure) { return credentialsFromEnvironment(failure); }},
		{"profile", [&options](std::string& failure) { return credentialsFromProfile(options.profile, failure); }},
		{"ecs", [&options](std::string& failure) { return credentialsFromContainer(options, failure); }},
		{"imds", [&options](std::string& failure) { return credentialsFromInstanceProfile(options, failure); }},
	};

	bool refresh = _cached && isRefreshable(_cached->source);
	std::string failures;
	for (const auto& source : sources)
	{
		if (refresh && source.first != _cached->source) continue;
		std::string failure;
		std::optional<Credentials> credentials = source.second(failure);
		try
		{
			// Every source, whatever it parsed: these values go into HTTP headers.
			if (credentials) requireHeaderSafe(*credentials);
		}
		catch (const Poco::DataFormatException& error)
		{
			credentials.reset();
			failure = source.first + ": " + error.message();
		}
		if (credentials) return *credentials;
		failures += (failures.empty() ? "" : "; ") + failure;
	}
	throw CredentialsException(refresh ? "refreshing AWS credentials failed: " + failures : "no AWS credentials: " + failures);
}

} // namespace aws
} // namespace plugins
} // namespace asprof

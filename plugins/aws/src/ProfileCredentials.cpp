// The shared credentials and config files (~/.aws/credentials, ~/.aws/config):
// the INI-like format the AWS CLI and SDKs read.

#include "CredentialSources.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include "Poco/Path.h"
#include "Poco/String.h"
#include <map>

namespace asprof {
namespace plugins {
namespace aws {

namespace {

// Keys of profiles that get credentials some other way, which we do not support.
const char* const UNSUPPORTED_KEYS[] = {"role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file"};

struct ProfileSection
{
	bool fileExists = false;
	bool found = false;
	std::map<std::string, std::string> values;
};

// $HOME first: Poco::Path::home() prefers the password database.
std::string homeDirectory()
{
	std::string home = Poco::Environment::get("HOME", "");
	if (home.empty()) home = Poco::Path::home();
	while (home.size() > 1 && home.back() == '/') home.pop_back();
	return home;
}

std::string sharedFile(const std::string& variable, const std::string& defaultName)
{
	std::string path = Poco::Environment::get(variable, "");
	if (path.empty()) return homeDirectory() + "/.aws/" + defaultName;
	if (path == "~" || path.compare(0, 2, "~/") == 0) path = homeDirectory() + path.substr(1);
	return path;
}

// "[name]" in the credentials file; "[profile name]" in the config file,
// where the default profile may also be "[default]".
bool sectionMatches(const std::string& section, const std::string& profile, bool configFile)
{
	if (!configFile) return section == profile;
	if (section == "default" && profile == "default") return true;
	if (section.compare(0, 7, "profile") != 0 || section.size() < 8 || (section[7] != ' ' && section[7] != '\t')) return false;
	return Poco::trim(section.substr(8)) == profile;
}

// A value ends where a comment starts: '#' or ';' after white space.
std::string stripInlineComment(const std::string& value)
{
	for (std::size_t i = 1; i < value.size(); ++i)
	{
		if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) return Poco::trim(value.substr(0, i));
	}
	return value;
}

ProfileSection readSection(const std::string& path, const std::string& profile, bool configFile)
{
	ProfileSection result;
	if (!Poco::File(path).exists()) return result;
	result.fileExists = true;
	Poco::FileInputStream stream(path);
	std::string line;
	bool inSection = false;
	while (std::getline(stream, line))
	{
		Poco::trimInPlace(line);
		if (line.empty() || line[0] == '#' || line[0] == ';') continue;
		if (line.front() == '[' && line.back() == ']')
		{
			inSection = sectionMatches(Poco::trim(line.substr(1, line.size() - 2)), profile, configFile);
			result.found = result.found || inSection;
			continue;
		}
		std::string::size_type equals = line.find('=');
		if (!inSection || equals == std::string::npos) continue;
		std::string key = Poco::toLower(Poco::trim(line.substr(0, equals)));
		if (!key.empty()) result.values[key] = stripInlineComment(Poco::trim(line.substr(equals + 1)));
	}
	return result;
}

std::string describeFile(const std::string& path, const ProfileSection& section)
{
	return path + (section.fileExists ? "" : " (no such file)");
}

} // namespace

std::optional<Credentials> credentialsFromProfile(const std::string& configuredProfile, std::string& failure)
{
	std::string profile = configuredProfile.empty() ? Poco::Environment::get("AWS_PROFILE", "") : configuredProfile;
	if (profile.empty()) profile = "default";
	const std::string source = "profile " + profile;
	const std::string credentialsPath = sharedFile("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	const std::string configPath = sharedFile("AWS_CONFIG_FILE", "config");
	try
	{
		ProfileSection fromCredentials = readSection(credentialsPath, profile, false);
		ProfileSection fromConfig = readSection(configPath, profile, true);
		if (!fromCredentials.found && !fromConfig.found)
		{
			failure = source + ": no such profile in " + describeFile(credentialsPath, fromCredentials) + " or " +
				describeFile(configPath, fromConfig);
			return std::nullopt;
		}
		// The credentials file wins over the config file, key by key.
		std::map<std::string, std::string> values = fromConfig.values;
		for (const auto& value : fromCredentials.values) values[value.first] = value.second;

		Credentials credentials{
			values["aws_access_key_id"], values["aws_secret_access_key"], values["aws_session_token"], std::nullopt, source};
		if (!credentials.accessKeyId.empty() && !credentials.secretAccessKey.empty()) return credentials;
		for (const char* key : UNSUPPORTED_KEYS)
		{
			if (values.count(key) == 0) continue;
			failure = source + ": uses " + key + ", which is not supported; give it aws_access_key_id and aws_secret_access_key";
			return std::nullopt;
		}
		failure = source + ": no aws_access_key_id and aws_secret_access_key in " + credentialsPath + " or " + configPath;
	}
	catch (const Poco::Exception& error)
	{
		failure = source + ": " + error.displayText();
	}
	return std::nullopt;
}

} // namespace aws
} // namespace plugins
} // namespace asprof

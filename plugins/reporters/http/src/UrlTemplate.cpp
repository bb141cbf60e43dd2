#include "UrlTemplate.h"
#include "Poco/Exception.h"
#include "Poco/String.h"
#include <algorithm>

namespace asprof {
namespace plugins {

const std::vector<std::string> UrlTemplate::PLACEHOLDERS = {
	"seq", "pid", "start", "end", "hostKind", "hostname", "instanceId", "taskArn", "region", "type"};

namespace {

std::string knownPlaceholders()
{
	std::string list;
	for (const auto& name : UrlTemplate::PLACEHOLDERS) list += (list.empty() ? "{" : ", {") + name + "}";
	return list;
}

std::string hexByte(unsigned char byte)
{
	static const char* const DIGITS = "0123456789ABCDEF";
	return std::string{DIGITS[byte >> 4], DIGITS[byte & 0x0F]};
}

} // namespace

UrlTemplate UrlTemplate::parse(const std::string& text)
{
	const std::size_t schemeEnd = text.find("://");
	if (schemeEnd == std::string::npos) throw Poco::SyntaxException("not an http:// or https:// URL");
	UrlTemplate url;
	const std::string scheme = Poco::toLower(text.substr(0, schemeEnd));
	if (scheme != "http" && scheme != "https") throw Poco::SyntaxException("the scheme must be http or https, not \"" + scheme + "\"");

	const std::string rest = text.substr(schemeEnd + 3);
	const std::size_t authorityEnd = rest.find_first_of("/?#");
	std::string authority = rest.substr(0, authorityEnd);
	url._target = authorityEnd == std::string::npos ? "/" : rest.substr(authorityEnd);
	if (url._target.find('#') != std::string::npos) throw Poco::SyntaxException("a fragment (#...) is never sent to a server");
	if (url._target[0] == '?') url._target.insert(0, "/");

	// The last '@' ends the userinfo: a password may hold an unencoded '@'.
	const std::size_t at = authority.rfind('@');
	if (at != std::string::npos)
	{
		const std::string userInfo = authority.substr(0, at);
		const std::size_t colon = userInfo.find(':');
		Poco::URI::decode(userInfo.substr(0, colon), url._user);
		if (colon != std::string::npos) Poco::URI::decode(userInfo.substr(colon + 1), url._password);
		url._hasUserInfo = true;
		authority.erase(0, at + 1);
	}
	if (authority.find_first_of("{}") != std::string::npos)
		throw Poco::SyntaxException("placeholders are allowed in the path and the query only");
	if (authority.empty()) throw Poco::SyntaxException("the URL has no host");
	url._server = Poco::URI(scheme + "://" + authority);
	if (url._server.getHost().empty()) throw Poco::SyntaxException("the URL has no host");
	url._pieces = splitPieces(url._target);
	return url;
}

std::vector<UrlTemplate::Piece> UrlTemplate::splitPieces(const std::string& target)
{
	std::vector<Piece> pieces;
	std::string literal;
	for (std::size_t i = 0; i < target.size(); ++i)
	{
		const unsigned char byte = static_cast<unsigned char>(target[i]);
		if (byte == '{')
		{
			const std::size_t close = target.find('}', i);
			if (close == std::string::npos) throw Poco::SyntaxException("a '{' without its '}'");
			const std::string name = target.substr(i + 1, close - i - 1);
			if (std::find(PLACEHOLDERS.begin(), PLACEHOLDERS.end(), name) == PLACEHOLDERS.end())
				throw Poco::SyntaxException("unknown placeholder {" + name + "} (known: " + knownPlaceholders() + ")");
			if (!literal.empty()) pieces.push_back(Piece{false, literal});
			literal.clear();
			pieces.push_back(Piece{true, name});
			i = close;
		}
		else if (byte == '}')
			throw Poco::SyntaxException("a '}' without its '{'");
		else if (byte <= 0x20 || byte >= 0x7f)
			throw Poco::SyntaxException("byte 0x" + hexByte(byte) + " must be percent-encoded (%" + hexByte(byte) + ")");
		else
			literal += target[i];
	}
	if (!literal.empty()) pieces.push_back(Piece{false, literal});
	return pieces;
}

const Poco::URI& UrlTemplate::server() const
{
	return _server;
}

bool UrlTemplate::hasUserInfo() const
{
	return _hasUserInfo;
}

const std::string& UrlTemplate::user() const
{
	return _user;
}

const std::string& UrlTemplate::password() const
{
	return _password;
}

std::string UrlTemplate::path() const
{
	return _target.substr(0, _target.find('?'));
}

std::string UrlTemplate::query() const
{
	const std::size_t question = _target.find('?');
	return question == std::string::npos ? std::string() : _target.substr(question + 1);
}

std::string UrlTemplate::expand(const sdk::Profile& profile, const std::string& profileType) const
{
	std::string target;
	for (const auto& piece : _pieces)
	{
		if (!piece.placeholder)
			target += piece.text;
		else
			target += percentEncode(piece.text == "type" ? profileType : valueOf(piece.text, profile));
	}
	return target;
}

bool UrlTemplate::uses(const std::string& placeholder) const
{
	return std::any_of(_pieces.begin(), _pieces.end(), [&](const Piece& piece) { return piece.placeholder && piece.text == placeholder; });
}

std::string UrlTemplate::withoutUserInfo() const
{
	return origin(_server) + _target;
}

std::string UrlTemplate::valueOf(const std::string& placeholder, const sdk::Profile& profile)
{
	if (placeholder == "seq") return std::to_string(profile.seq);
	if (placeholder == "pid") return std::to_string(profile.pid);
	if (placeholder == "start") return std::to_string(profile.start.epochMicroseconds() / 1000);
	if (placeholder == "end") return std::to_string(profile.end.epochMicroseconds() / 1000);
	if (placeholder == "hostKind") return profile.host.kind;
	return profile.host.field(placeholder);
}

std::string UrlTemplate::percentEncode(const std::string& text)
{
	std::string encoded;
	for (char c : text)
	{
		const unsigned char byte = static_cast<unsigned char>(c);
		if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' ||
			byte == '_' || byte == '~')
			encoded += c;
		else
			encoded += "%" + hexByte(byte);
	}
	return encoded;
}

std::string UrlTemplate::origin(const Poco::URI& server)
{
	const std::string& host = server.getHost();
	return server.getScheme() + "://" + (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" +
		std::to_string(server.getPort());
}

} // namespace plugins
} // namespace asprof

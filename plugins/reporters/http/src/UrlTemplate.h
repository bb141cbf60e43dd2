//
// UrlTemplate.h
//
// The url = of an http reporter: a server and a request-target with
// {placeholders} filled from each profile.
//

#ifndef Asprof_Plugins_UrlTemplate_INCLUDED
#define Asprof_Plugins_UrlTemplate_INCLUDED

#include "asprof/sdk/Profile.h"
#include "Poco/URI.h"
#include <string>
#include <vector>

namespace asprof {
namespace plugins {

/// scheme://[user[:password]@]host[:port][/path][?query], where the path and
/// the query may hold placeholders, replaced by the profile's facts,
/// percent-encoded (every byte but A-Z a-z 0-9 - . _ ~):
///   {seq} {pid}              decimal
///   {start} {end}            milliseconds since the epoch
///   {hostKind}               ec2, ecs, onprem, unknown, ...
///   {hostname} {instanceId} {taskArn} {region}
///                            the host metadata's field ("" when absent)
///   {type}                   format = pprof: the profile's event type
///                            (cpu, wall, alloc); "" for the other formats
/// The rest of the path and query is sent exactly as written, so it must
/// already be encoded: no spaces, control or non-ASCII bytes.
///
/// The userinfo is taken out of the URL: credentials() returns it
/// (percent-decoded) and nothing else ever shows it.
class UrlTemplate
{
public:
	static const std::vector<std::string> PLACEHOLDERS;

	/// Throws Poco::SyntaxException saying what is wrong, without quoting
	/// the userinfo: scheme other than http(s), no host, a placeholder in
	/// the host part or an unknown one, an unclosed '{', a fragment, a
	/// byte that needs encoding.
	static UrlTemplate parse(const std::string& text);

	/// scheme, host and port only.
	const Poco::URI& server() const;

	bool hasUserInfo() const;
	const std::string& user() const;
	const std::string& password() const;

	/// The path as written (placeholders unexpanded), without the query; "/" when empty.
	std::string path() const;

	/// The query as written, without the '?'; "" when none.
	std::string query() const;

	/// The request-target for this profile: path and query, placeholders
	/// replaced ({type} by profileType).
	std::string expand(const sdk::Profile& profile, const std::string& profileType = "") const;

	/// Whether the path or query holds {placeholder}.
	bool uses(const std::string& placeholder) const;

	/// scheme://host:port/path?query as written, for messages.
	std::string withoutUserInfo() const;

	/// Every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex).
	static std::string percentEncode(const std::string& text);

	/// "scheme://host:port" ("[v6]" bracketed; the port always shown).
	static std::string origin(const Poco::URI& server);

private:
	struct Piece
	{
		bool placeholder = false;
		std::string text; ///< literal text, or the placeholder's name
	};

	static std::vector<Piece> splitPieces(const std::string& target);
	static std::string valueOf(const std::string& placeholder, const sdk::Profile& profile);

	Poco::URI _server;
	bool _hasUserInfo = false;
	std::string _user;
	std::string _password;
	std::string _target; ///< path and query as written, starting with '/'
	std::vector<Piece> _pieces;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_UrlTemplate_INCLUDED

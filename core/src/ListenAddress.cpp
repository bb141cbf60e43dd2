#include "ListenAddress.h"
#include "Poco/Exception.h"
#include "Poco/Net/IPAddress.h"
#include "Poco/NumberParser.h"

namespace asprof {
namespace agent {

Poco::Net::SocketAddress parseListenAddress(const std::string& listen)
{
	std::string host;
	std::string port;
	if (!listen.empty() && listen[0] == '[')
	{
		std::size_t close = listen.find(']');
		if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
			throw Poco::InvalidArgumentException("an IPv6 address is written [address]:port");
		host = listen.substr(1, close - 1);
		port = listen.substr(close + 2);
	}
	else
	{
		std::size_t colon = listen.rfind(':');
		if (colon == std::string::npos) throw Poco::InvalidArgumentException("no port (host:port)");
		host = listen.substr(0, colon);
		port = listen.substr(colon + 1);
		if (host.find(':') != std::string::npos) throw Poco::InvalidArgumentException("an IPv6 address is written [address]:port");
	}
	unsigned portNumber = 0;
	if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
		!Poco::NumberParser::tryParseUnsigned(port, portNumber) || portNumber > 65535)
		throw Poco::InvalidArgumentException("the port is not a number from 0 to 65535");
	if (host == "localhost") host = "127.0.0.1";
	Poco::Net::IPAddress address;
	if (!Poco::Net::IPAddress::tryParse(host, address))
		throw Poco::InvalidArgumentException("the host is not an IP address or localhost (names are not resolved)");
	return Poco::Net::SocketAddress(address, static_cast<Poco::UInt16>(portNumber));
}

bool isLoopback(const Poco::Net::SocketAddress& address)
{
	const Poco::Net::IPAddress& host = address.host();
	if (host.isLoopback()) return true;
	return host.isIPv4Mapped() && Poco::Net::IPAddress(host.toString().substr(host.toString().rfind(':') + 1)).isLoopback();
}

} // namespace agent
} // namespace asprof

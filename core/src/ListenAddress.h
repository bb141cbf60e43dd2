//
// ListenAddress.h
//
// The [endpoint] listen = value: "host:port" without name resolution.
//

#ifndef Asprof_Agent_ListenAddress_INCLUDED
#define Asprof_Agent_ListenAddress_INCLUDED

#include "Poco/Net/SocketAddress.h"
#include <string>

namespace asprof {
namespace agent {

/// "127.0.0.1:6060", "[::1]:6060", "localhost:6060" (127.0.0.1) or
/// "0.0.0.0:6060"; port 0 asks for any free port. Never resolves a name
/// (a DNS lookup could hang the host's start). Throws
/// Poco::InvalidArgumentException saying what is wrong.
Poco::Net::SocketAddress parseListenAddress(const std::string& listen);

/// 127.0.0.0/8 or ::1 (or ::ffff:127.x).
bool isLoopback(const Poco::Net::SocketAddress& address);

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ListenAddress_INCLUDED

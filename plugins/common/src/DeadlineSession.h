//
// DeadlineSession.h
//
// Poco HTTP(S) client sessions built on DeadlineSocketImpl (internal to
// asprof-plugin-common).
//

#ifndef Asprof_Plugins_DeadlineSession_INCLUDED
#define Asprof_Plugins_DeadlineSession_INCLUDED

#include "DeadlineSocketImpl.h"
#include "Poco/Net/Context.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/URI.h"
#include <memory>

namespace asprof {
namespace plugins {

/// A session to uri's host and port (https: TLS with tlsContext) whose every
/// socket is a DeadlineSocketImpl bound to deadline: the direct connection, and
/// for https through a proxy the CONNECT tunnel too (Poco's own proxyConnect()
/// would use a plain blocking socket). The TLS handshake is lazy -- it runs on
/// the first send, under the deadline -- and the peer certificate is verified
/// then, as before (host name from uri). Proxy settings are the caller's.
std::unique_ptr<Poco::Net::HTTPClientSession> makeDeadlineSession(
	const Poco::URI& uri, Poco::Net::Context::Ptr tlsContext, DeadlineSocketImpl::Deadline deadline);

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_DeadlineSession_INCLUDED

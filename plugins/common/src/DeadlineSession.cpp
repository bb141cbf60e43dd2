//
// DeadlineSession.cpp
//
// Wires DeadlineSocketImpl under Poco's HTTP and HTTPS client sessions.
//

#include "DeadlineSession.h"
#include "Poco/Net/HTTPBasicCredentials.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/HTTPSClientSession.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/SecureStreamSocket.h"
#include "Poco/Net/SecureStreamSocketImpl.h"
#include "Poco/String.h"

using Poco::Net::HTTPClientSession;

namespace asprof {
namespace plugins {

namespace {

// TLS over a DeadlineSocketImpl, its handshake deferred to the first send.
class LazyTlsSocketImpl: public Poco::Net::SecureStreamSocketImpl
{
public:
	LazyTlsSocketImpl(Poco::Net::StreamSocketImpl* socket, Poco::Net::Context::Ptr context):
		SecureStreamSocketImpl(socket, context) // takes a reference of its own
	{
		setLazyHandshake(true);
	}

	void startOverConnectedSocket()
	{
		connectSSL(); // lazy: sets up the SSL object, no handshake yet
	}
};

class AttachedSecureSocket: public Poco::Net::SecureStreamSocket
// SecureStreamSocket's constructor from an impl is protected.
{
public:
	explicit AttachedSecureSocket(LazyTlsSocketImpl* impl): SecureStreamSocket(impl)
	{
	}
};

AttachedSecureSocket secureOver(Poco::Net::StreamSocketImpl* socket, Poco::Net::Context::Ptr context, const std::string& host)
{
	AttachedSecureSocket result(new LazyTlsSocketImpl(socket, context));
	result.setPeerHostName(host);
	return result;
}

class DeadlineHttpsSession: public Poco::Net::HTTPSClientSession
{
public:
	DeadlineHttpsSession(const Poco::URI& uri, Poco::Net::Context::Ptr context, DeadlineSocketImpl::Deadline deadline):
		HTTPSClientSession(secureOver(Poco::AutoPtr<DeadlineSocketImpl>(new DeadlineSocketImpl(deadline)).get(), context, uri.getHost())),
		_context(context),
		_deadline(deadline)
	{
		setHost(uri.getHost());
		setPort(uri.getPort());
	}

protected:
	void connect(const Poco::Net::SocketAddress& address) override
	{
		if (getProxyHost().empty() || bypassProxy())
		{
			HTTPSClientSession::connect(address);
			return;
		}
		Poco::Net::StreamSocket tunnel = connectThroughProxy();
		AttachedSecureSocket secure = secureOver(static_cast<Poco::Net::StreamSocketImpl*>(tunnel.impl()), _context, getHost());
		static_cast<LazyTlsSocketImpl*>(secure.impl())->startOverConnectedSocket();
		attachSocket(secure);
	}

private:
	// What Poco's proxyConnect() does, on a socket bound to the deadline.
	Poco::Net::StreamSocket connectThroughProxy()
	{
		HTTPClientSession proxy(Poco::Net::StreamSocket(new DeadlineSocketImpl(_deadline)));
		proxy.setHost(getProxyHost());
		proxy.setPort(getProxyPort());
		proxy.setTimeout(getTimeout());
		proxy.setKeepAlive(true);
		Poco::Net::HTTPRequest request(
			Poco::Net::HTTPRequest::HTTP_CONNECT, getHost() + ":" + std::to_string(getPort()), Poco::Net::HTTPMessage::HTTP_1_1);
		request.set(Poco::Net::HTTPMessage::PROXY_CONNECTION, Poco::Net::HTTPMessage::CONNECTION_KEEP_ALIVE);
		request.set(Poco::Net::HTTPRequest::HOST, getHost());
		if (!getProxyUsername().empty()) Poco::Net::HTTPBasicCredentials(getProxyUsername(), getProxyPassword()).proxyAuthenticate(request);
		proxy.sendRequest(request);
		Poco::Net::HTTPResponse response;
		proxy.receiveResponse(response);
		if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
			throw Poco::Net::HTTPException("Cannot establish proxy connection", response.getReason());
		return proxy.detachSocket();
	}

	Poco::Net::Context::Ptr _context;
	DeadlineSocketImpl::Deadline _deadline;
};

} // namespace

std::unique_ptr<HTTPClientSession> makeDeadlineSession(
	const Poco::URI& uri, Poco::Net::Context::Ptr tlsContext, DeadlineSocketImpl::Deadline deadline)
{
	if (Poco::icompare(uri.getScheme(), "https") == 0) return std::make_unique<DeadlineHttpsSession>(uri, tlsContext, deadline);
	auto session = std::make_unique<HTTPClientSession>(Poco::Net::StreamSocket(new DeadlineSocketImpl(deadline)));
	session->setHost(uri.getHost());
	session->setPort(uri.getPort());
	return session;
}

} // namespace plugins
} // namespace asprof

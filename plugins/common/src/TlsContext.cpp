//
// TlsContext.cpp
//
// Loading the system's CA bundle costs ~236 M instructions (+50 ms to the
// first recording): it happens once per process (per plugin library, each
// links its own copy of plugins/common), at the first TLS connection that
// needs it, and every context made afterwards shares the loaded store.
//

#include "TlsContext.h"
#include "Poco/File.h"
#include "Poco/Net/NetSSL.h"
#include "Poco/Net/RejectCertificateHandler.h"
#include "Poco/Net/SSLException.h"
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <atomic>
#include <mutex>

namespace asprof {
namespace plugins {
namespace tls {

namespace {

std::atomic<std::uint64_t> trustLoads{0};

void initializeSslOnce()
{
	// Once per process and never undone: plugins are never unloaded.
	static std::once_flag once;
	std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

void requireReadable(const std::string& key, const std::string& path)
{
	if (path.empty()) return;
	Poco::File file(path);
	if (!file.exists()) throw Poco::InvalidArgumentException("HTTP client: " + key + " " + path + " does not exist");
	if (!file.canRead()) throw Poco::InvalidArgumentException("HTTP client: " + key + " " + path + " is not readable");
}

// OpenSSL's default paths, as SSL_CTX_set_default_verify_paths loads them,
// into one store that every context references (X509_STORE is reference
// counted and safe to share between threads). Never freed: plugins stay loaded.
X509_STORE* systemTrustStore()
{
	static std::mutex mutex;
	static X509_STORE* store = nullptr;
	std::lock_guard<std::mutex> guard(mutex);
	if (store) return store;
	X509_STORE* loaded = X509_STORE_new();
	if (!loaded || X509_STORE_set_default_paths(loaded) != 1)
	{
		X509_STORE_free(loaded);
		throw Poco::Net::SSLContextException("HTTP client: cannot load the system's CA certificates (OpenSSL's default paths)");
	}
	store = loaded;
	++trustLoads;
	return store;
}

} // namespace

void checkFiles(const HttpOptions& options)
{
	requireReadable("caFile", options.caFile);
	requireReadable("clientCert", options.clientCertFile);
	requireReadable("clientKey", options.clientKeyFile);
	if (options.clientCertFile.empty() != options.clientKeyFile.empty())
		throw Poco::InvalidArgumentException("HTTP client: clientCert and clientKey must be given together");
}

bool needsFiles(const HttpOptions& options)
{
	return !options.caFile.empty() || !options.clientCertFile.empty() || !options.clientKeyFile.empty();
}

bool needsSystemTrust(const HttpOptions& options)
{
	return options.verifyTls && options.caFile.empty();
}

Poco::Net::Context::Ptr makeContext(const HttpOptions& options)
{
	using Poco::Net::Context;
	checkFiles(options);
	Context::Params params;
	// VERIFY_STRICT, not RELAXED: for a client both verify the chain, but Poco skips the
	// host-name check under RELAXED when the host is a loopback address.
	params.verificationMode = options.verifyTls ? Context::VERIFY_STRICT : Context::VERIFY_NONE;
	params.caLocation = options.caFile;
	params.loadDefaultCAs = false; // the system store is shared: trustSystemStore()
	params.certificateFile = options.clientCertFile;
	params.privateKeyFile = options.clientKeyFile;
	params.cipherList = "DEFAULT";
	Context::Ptr context;
	try
	{
		initializeSslOnce();
		context = new Context(Context::TLS_CLIENT_USE, params);
	}
	catch (const Poco::Exception& error)
	{
		throw Poco::InvalidArgumentException("HTTP client: cannot set up TLS", error.displayText());
	}
	if (!options.clientCertFile.empty() && SSL_CTX_check_private_key(context->sslContext()) != 1)
		throw Poco::InvalidArgumentException(
			"HTTP client: clientKey " + options.clientKeyFile + " does not match clientCert " + options.clientCertFile);
	context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
	// A context-level handler takes precedence over whatever the host application gave
	// Poco's SSLManager (possibly a ConsoleCertificateHandler): never ask on the console.
	context->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
	return context;
}

void trustSystemStore(Poco::Net::Context& context)
{
	SSL_CTX_set1_cert_store(context.sslContext(), systemTrustStore()); // takes a reference of its own
}

std::uint64_t systemTrustLoads()
{
	return trustLoads.load();
}

} // namespace tls
} // namespace plugins
} // namespace asprof

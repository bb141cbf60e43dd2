//
// TlsContext.h
//
// The TLS client contexts of the shared HTTP client, and the system's trust
// store they share (private to plugins/common).
//

#ifndef Asprof_Plugins_TlsContext_INCLUDED
#define Asprof_Plugins_TlsContext_INCLUDED

#include "asprof/plugins/HttpClient.h"
#include "Poco/Net/Context.h"
#include <cstdint>

namespace asprof {
namespace plugins {
namespace tls {

/// Throws Poco::InvalidArgumentException naming the key and file when
/// caFile, clientCert or clientKey does not exist or cannot be read, or
/// when only one of clientCert and clientKey is given. Reads no file.
void checkFiles(const HttpOptions& options);

/// True when the options name a CA file or a client certificate: their
/// context is made when the client is (a bad file fails configuration).
bool needsFiles(const HttpOptions& options);

/// Verification on and no caFile: the context must trustSystemStore().
bool needsSystemTrust(const HttpOptions& options);

/// A client context: TLS 1.2 or later, verification per options.verifyTls
/// (chain and host name), trusting caFile if any (else nothing yet: see
/// trustSystemStore()), with the client certificate if any. Certificate
/// problems are rejected, never asked about. Reads only the files named;
/// throws Poco::InvalidArgumentException for unusable ones (naming them).
Poco::Net::Context::Ptr makeContext(const HttpOptions& options);

/// Makes context trust the system's CA store, loaded at the first call in
/// the process (thread-safe) and shared by every context after it. Call
/// before the context's first connection. Throws
/// Poco::Net::SSLContextException when the store cannot be loaded (the
/// next call tries again).
void trustSystemStore(Poco::Net::Context& context);

/// How many times this library loaded the system's CA store: 0 until the
/// first verified TLS connection without caFile, then 1 for good.
std::uint64_t systemTrustLoads();

} // namespace tls
} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_TlsContext_INCLUDED

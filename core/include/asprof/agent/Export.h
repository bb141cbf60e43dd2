/*
 * Export.h
 *
 * Symbol visibility for libasprof-agent.so (Poco's Foundation_API pattern).
 * The agent is compiled with hidden visibility; only what is marked
 * ASPROF_AGENT_API (the C API in asprof/agent.h and the public classes in
 * asprof/agent/) is exported, and core/agent.map keeps anything else from
 * leaking. Valid C and C++: asprof/agent.h includes it.
 */

#ifndef Asprof_Agent_Export_INCLUDED
#define Asprof_Agent_Export_INCLUDED

#if !defined(ASPROF_AGENT_API)
#if defined(__GNUC__) && (__GNUC__ >= 4)
#define ASPROF_AGENT_API __attribute__((visibility("default")))
#else
#define ASPROF_AGENT_API
#endif
#endif

#endif /* Asprof_Agent_Export_INCLUDED */

//
// ConfigDocsTest.cpp
//
// etc/agent.ini documents every key the code accepts, and no other: the keys
// are found by letting the agent and the real plugins read a configuration
// (AcceptedKeys), the documentation by reading the file (DocumentedKeys).
//
// The rules, for whoever meets a failure here:
// - [agent], [profiler], [endpoint]: each key the agent reads is documented
//   in that section, and each key documented there is read.
// - [reporter.<name>] and [metadata.<name>]: the keys the agent reads in every
//   instance section (type, library, the delivery keys; labels for metadata)
//   are documented in the first section of that kind ([reporter.local],
//   [metadata.onprem]); a plugin's own keys in at least one section whose
//   type = is that plugin; every key documented in a section is read by the
//   agent or by that section's plugin. Each plugin type that is built has a
//   section (active or commented out).
// - A key family the code enumerates (headers.<Name> of the http reporter)
//   is documented by one example, e.g. ;headers.X-Team = payments, and any
//   <family>.<something> documented is accepted. labels is one key (its
//   value is the list), no family.
// - Keys are the code's spelling; values are not checked here (config-tests do).
//

#include "AcceptedKeys.h"
#include "DocumentedKeys.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/Exception.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include "Poco/StringTokenizer.h"
#include "Poco/Util/XMLConfiguration.h"
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

using asprof::test::AcceptedKeys;
using asprof::test::DocumentedKeys;
using asprof::test::DocumentedSection;
using asprof::test::SectionKeys;

namespace {

const std::string AGENT_INI = std::string(ASPROF_SOURCE_DIR) + "/etc/agent.ini";
const std::string AGENT_XML = std::string(ASPROF_SOURCE_DIR) + "/etc/agent.xml";

using Findings = std::vector<std::pair<std::string, std::string>>; // section, what

// The findings grouped by section, in the order the sections first appear.
std::string format(const Findings& findings)
{
	std::vector<std::string> order;
	for (const auto& finding : findings)
	{
		if (std::find(order.begin(), order.end(), finding.first) == order.end()) order.push_back(finding.first);
	}
	std::string text;
	for (const auto& section : order)
	{
		text += "\n  " + section;
		for (const auto& finding : findings)
		{
			if (finding.first == section) text += "\n    " + finding.second;
		}
	}
	return text;
}

bool documents(const DocumentedSection& section, const std::string& key)
{
	return section.keys.count(key) > 0;
}

bool documentsFamily(const DocumentedSection& section, const std::string& prefix)
{
	return std::any_of(section.keys.begin(), section.keys.end(),
		[&](const auto& key) { return Poco::startsWith(key.first, prefix + ".") && key.first.size() > prefix.size() + 1; });
}

// Each key and family of accepted, documented in one of sections?
void checkDocumented(const SectionKeys& accepted, const std::vector<const DocumentedSection*>& sections, const std::string& label,
	const std::string& reader, Findings& findings)
{
	for (const auto& key : accepted.keys)
	{
		if (std::none_of(sections.begin(), sections.end(), [&](const DocumentedSection* section) { return documents(*section, key); }))
			findings.emplace_back(label, key + ": read by " + reader + ", not documented");
	}
	for (const auto& prefix : accepted.prefixes)
	{
		if (std::none_of(
				sections.begin(), sections.end(), [&](const DocumentedSection* section) { return documentsFamily(*section, prefix); }))
			findings.emplace_back(label, prefix + ".<name>: a key family read by " + reader + ", without a documented example");
	}
}

std::vector<const DocumentedSection*> sectionsWhere(
	const DocumentedKeys& documented, const std::function<bool(const DocumentedSection&)>& which)
{
	std::vector<const DocumentedSection*> sections;
	for (const auto& section : documented.sections())
	{
		if (which(section)) sections.push_back(&section);
	}
	return sections;
}

// What the code reads and the file does not document.
Findings undocumentedKeys(const AcceptedKeys& accepted, const DocumentedKeys& documented)
{
	Findings findings;
	for (const auto& fixed : accepted.fixedSections)
	{
		auto sections = sectionsWhere(documented, [&](const DocumentedSection& section) { return section.name == fixed.first; });
		checkDocumented(fixed.second, sections, "[" + fixed.first + "]", "the agent", findings);
	}
	for (const auto& share : accepted.agentShare)
	{
		auto sections = sectionsWhere(documented, [&](const DocumentedSection& section) { return section.kind == share.first; });
		if (sections.size() > 1) sections.resize(1);
		std::string label = sections.empty() ? "[" + share.first + ".<name>]" : "[" + sections[0]->name + "]";
		checkDocumented(
			share.second, sections, label, "the agent in every [" + share.first + ".<name>] (documented in the first one)", findings);
	}
	for (const auto& plugin : accepted.plugins)
	{
		const std::string& kind = plugin.first.first;
		const std::string& type = plugin.first.second;
		auto sections =
			sectionsWhere(documented, [&](const DocumentedSection& section) { return section.kind == kind && section.type == type; });
		std::string label = "[" + kind + ".<name>] type = " + type;
		if (sections.empty()) findings.emplace_back(label, "the plugin is built, but no section (active or ;commented) has type = " + type);
		checkDocumented(plugin.second, sections, label, "the " + type + " " + kind + " plugin", findings);
	}
	return findings;
}

// What the file documents and nobody reads.
Findings unreadKeys(const AcceptedKeys& accepted, const DocumentedKeys& documented, std::vector<std::string>& unchecked)
{
	Findings findings;
	for (const auto& problem : documented.problems()) findings.emplace_back("(the file)", problem);
	for (const auto& section : documented.sections())
	{
		std::string label = "[" + section.name + "]";
		std::vector<const SectionKeys*> readers;
		auto fixed = accepted.fixedSections.find(section.name);
		auto share = accepted.agentShare.find(section.kind);
		if (fixed != accepted.fixedSections.end())
			readers.push_back(&fixed->second);
		else if (share != accepted.agentShare.end())
		{
			auto plugin = accepted.plugins.find({section.kind, section.type});
			if (plugin == accepted.plugins.end())
			{
				unchecked.push_back(label + " type = " + section.type + ": that plugin is not built, its keys are not checked");
				continue;
			}
			readers = {&share->second, &plugin->second};
		}
		else
		{
			findings.emplace_back(label, "line " + std::to_string(section.line) + ": not a section the agent reads");
			continue;
		}
		for (const auto& key : section.keys)
		{
			if (std::none_of(readers.begin(), readers.end(), [&](const SectionKeys* reader) { return reader->accepts(key.first); }))
				findings.emplace_back(label, key.first + " (line " + std::to_string(key.second) + "): documented, but nothing reads it");
		}
	}
	return findings;
}

void collectLeaves(const Poco::Util::AbstractConfiguration& config, const std::string& prefix, std::vector<std::string>& leaves)
{
	Poco::Util::AbstractConfiguration::Keys children;
	config.keys(prefix, children);
	if (children.empty() && !prefix.empty()) leaves.push_back(prefix);
	for (const auto& child : children) collectLeaves(config, prefix.empty() ? child : prefix + "." + child, leaves);
}

// etc/agent.xml, the same keys in XML: each element it sets (comments aside) is read.
Findings unreadXmlKeys(const AcceptedKeys& accepted, const std::string& xmlText)
{
	std::istringstream in(xmlText);
	Poco::AutoPtr<Poco::Util::XMLConfiguration> config(new Poco::Util::XMLConfiguration(in));
	std::vector<std::string> leaves;
	collectLeaves(*config, "", leaves);
	Findings findings;
	for (const auto& leaf : leaves)
	{
		std::vector<std::string> parts;
		Poco::StringTokenizer tokens(leaf, ".");
		parts.assign(tokens.begin(), tokens.end());
		auto fixed = accepted.fixedSections.find(parts[0]);
		auto share = accepted.agentShare.find(parts[0]);
		bool read = false;
		if (fixed != accepted.fixedSections.end() && parts.size() >= 2)
			read = fixed->second.accepts(leaf.substr(parts[0].size() + 1));
		else if (share != accepted.agentShare.end() && parts.size() >= 3)
		{
			std::string section = parts[0] + "." + parts[1];
			std::string key = leaf.substr(section.size() + 1);
			auto plugin = accepted.plugins.find({parts[0], config->getString(section + ".type", parts[1])});
			read = share->second.accepts(key) || (plugin != accepted.plugins.end() && plugin->second.accepts(key));
		}
		if (!read)
			findings.emplace_back(
				"<" + Poco::replace(leaf, std::string("."), std::string("><")) + ">", "set in the XML example, but nothing reads it");
	}
	return findings;
}

const AcceptedKeys& acceptedKeys()
{
	static const AcceptedKeys accepted = []() {
		try
		{
			return AcceptedKeys::probe(ASPROF_BUILD_PLUGIN_DIR, ASPROF_TEST_PLUGIN_DIR);
		}
		catch (Poco::Exception& e)
		{
			CPPUNIT_FAIL("probing the keys the code reads: " + e.displayText());
		}
		return AcceptedKeys();
	}();
	return accepted;
}

DocumentedKeys agentIni()
{
	return DocumentedKeys::parse(asprof::test::readFile(AGENT_INI));
}

// ASPROF_TEST_VERBOSE=1: what the probes found, one line per section kind.
void printAccepted(const AcceptedKeys& accepted)
{
	auto line = [](const std::string& label, const SectionKeys& keys) {
		std::cout << "\n  " << label << ":";
		for (const auto& key : keys.keys) std::cout << " " << key;
		for (const auto& prefix : keys.prefixes) std::cout << " " << prefix << ".<name>";
	};
	for (const auto& fixed : accepted.fixedSections) line("[" + fixed.first + "]", fixed.second);
	for (const auto& share : accepted.agentShare) line("every [" + share.first + ".<name>]", share.second);
	for (const auto& plugin : accepted.plugins) line(plugin.first.first + " type " + plugin.first.second, plugin.second);
	std::cout << std::endl;
}

// The findings of after that before does not have: this self-test holds
// whatever the real file's state (the two tests above judge that).
Findings added(const Findings& after, const Findings& before)
{
	Findings result;
	for (const auto& finding : after)
	{
		if (std::find(before.begin(), before.end(), finding) == before.end()) result.push_back(finding);
	}
	return result;
}

bool mentions(const Findings& findings, const std::string& section, const std::string& start)
{
	return std::any_of(findings.begin(), findings.end(),
		[&](const auto& finding) { return finding.first == section && Poco::startsWith(finding.second, start); });
}

// The keys a plugin's source names where it reads them: the first string of
// a PluginContext getter called with the context (getString(context, "key",
// ...), has(context, "key"), throwBadValue(context, "key", ...)) or of
// requireReadable("key", ...). The probes see what configure() reads with
// the required keys set; a key read only when another key is set (or only
// in a mode nobody probes) is seen here, by its name in the source.
std::set<std::string> keysNamedIn(const std::string& source)
{
	static const Poco::RegularExpression KEY(
		"\\b(?:get[A-Z][A-Za-z]*|has|throwBadValue)\\(\\s*context\\s*,\\s*\"([A-Za-z][A-Za-z0-9._-]*)\"|"
		"\\brequireReadable\\(\\s*\"([A-Za-z][A-Za-z0-9._-]*)\"");
	std::set<std::string> keys;
	std::string::size_type offset = 0;
	Poco::RegularExpression::MatchVec match;
	while (offset < source.size() && KEY.match(source, offset, match) > 0)
	{
		for (std::size_t group = 1; group < match.size(); ++group)
		{
			if (match[group].offset != std::string::npos) keys.insert(source.substr(match[group].offset, match[group].length));
		}
		offset = match[0].offset + match[0].length;
	}
	return keys;
}

// Every *.cpp and *.h below directory, recursively.
void sourcesBelow(const std::string& directory, std::vector<std::string>& files)
{
	for (Poco::DirectoryIterator it(directory), end; it != end; ++it)
	{
		if (it->isDirectory())
			sourcesBelow(it->path(), files);
		else if (Poco::endsWith(it.name(), std::string(".cpp")) || Poco::endsWith(it.name(), std::string(".h")))
			files.push_back(it->path());
	}
}

} // namespace

class ConfigDocsTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConfigDocsTest);
	CPPUNIT_TEST(testProbeSeesWhatTheCodeReads);
	CPPUNIT_TEST(testParserFollowsTheFileConventions);
	CPPUNIT_TEST(testEveryKeyTheCodeReadsIsDocumented);
	CPPUNIT_TEST(testEveryDocumentedKeyIsRead);
	CPPUNIT_TEST(testEveryKeyOfTheXmlExampleIsRead);
	CPPUNIT_TEST(testKeyRemovedFromTheDocumentationIsReported);
	CPPUNIT_TEST(testEveryKeyNamedInPluginSourcesIsDocumented);
	CPPUNIT_TEST(testKeyNamesAreFoundInSourceText);
	CPPUNIT_TEST_SUITE_END();

public:
	// plugins/<reporters|metadata>/<type>/: documented in a section of that
	// type; plugins/common and plugins/aws (shared by several plugins): in
	// at least one reporter or metadata section.
	void testEveryKeyNamedInPluginSourcesIsDocumented()
	{
		const DocumentedKeys& documented = agentIni();
		const std::string plugins = std::string(ASPROF_SOURCE_DIR) + "/plugins/";
		Findings findings;
		std::size_t named = 0;
		for (const auto& area : std::vector<std::pair<std::string, std::string>>{{"reporters", "reporter"}, {"metadata", "metadata"}})
		{
			for (Poco::DirectoryIterator it(plugins + area.first), end; it != end; ++it)
			{
				if (!it->isDirectory()) continue;
				const std::string type = it.name();
				std::vector<std::string> files;
				sourcesBelow(it->path(), files);
				auto sections = sectionsWhere(
					documented, [&](const DocumentedSection& section) { return section.kind == area.second && section.type == type; });
				for (const auto& file : files)
				{
					for (const auto& key : keysNamedIn(asprof::test::readFile(file)))
					{
						++named;
						if (std::none_of(sections.begin(), sections.end(), [&](const DocumentedSection* s) { return documents(*s, key); }))
							findings.emplace_back(
								"[" + area.second + ".<name>] type = " + type, key + ": named in " + file + ", not documented");
					}
				}
			}
		}
		for (const auto& shared : {"common", "aws"})
		{
			std::vector<std::string> files;
			sourcesBelow(plugins + shared, files);
			auto sections = sectionsWhere(
				documented, [](const DocumentedSection& section) { return section.kind == "reporter" || section.kind == "metadata"; });
			for (const auto& file : files)
			{
				for (const auto& key : keysNamedIn(asprof::test::readFile(file)))
				{
					++named;
					if (std::none_of(sections.begin(), sections.end(), [&](const DocumentedSection* s) { return documents(*s, key); }))
						findings.emplace_back("[reporter.<name>] / [metadata.<name>]", key + ": named in " + file + ", documented nowhere");
				}
			}
		}
		CPPUNIT_ASSERT_MESSAGE("no key found in the plugins' sources: the pattern no longer matches the getters", named > 20);
		CPPUNIT_ASSERT_MESSAGE(AGENT_INI + " lacks keys the plugins' sources read:" + format(findings), findings.empty());
	}

	void testKeyNamesAreFoundInSourceText()
	{
		std::set<std::string> keys = keysNamedIn("if (!owner.empty()) mode = getString(context, \"expectedOwnerMode\", \"\");\n"
												 "bool on = has(context,\"a.b\"); requireReadable(\"caFile\", file);\n"
												 "throwBadValue(context, \"bucket\", value, \"x\"); getString(other, \"notAKey\");");
		std::string found = Poco::cat(std::string(","), keys.begin(), keys.end());
		CPPUNIT_ASSERT_EQUAL(std::string("a.b,bucket,caFile,expectedOwnerMode"), found);
	}

	void testProbeSeesWhatTheCodeReads()
	{
		// A probe that saw nothing would make "documented but not read" of
		// everything, and "read but not documented" of nothing.
		const AcceptedKeys& accepted = acceptedKeys();
		if (std::getenv("ASPROF_TEST_VERBOSE")) printAccepted(accepted);
		CPPUNIT_ASSERT(accepted.fixedSections.at("agent").keys.count("reportingInterval"));
		CPPUNIT_ASSERT(accepted.fixedSections.at("endpoint").keys.count("listen"));
		CPPUNIT_ASSERT(accepted.agentShare.at("reporter").keys.count("spoolDir"));
		CPPUNIT_ASSERT(accepted.agentShare.at("reporter").keys.count("library"));
		CPPUNIT_ASSERT(accepted.agentShare.at("metadata").keys.count("labels"));
		CPPUNIT_ASSERT(accepted.plugins.at({"reporter", "local"}).keys.count("directory"));
		CPPUNIT_ASSERT(!accepted.plugins.at({"reporter", "local"}).keys.count("spoolDir"));
		CPPUNIT_ASSERT(accepted.plugins.at({"reporter", "multi"}).keys.count("reporters"));
		CPPUNIT_ASSERT(accepted.plugins.at({"metadata", "onprem"}).keys.count("fields"));
		auto http = accepted.plugins.find({"reporter", "http"});
		if (http != accepted.plugins.end())
		{
			CPPUNIT_ASSERT(http->second.prefixes.count("headers"));
			CPPUNIT_ASSERT(http->second.keys.count("sampleRate"));
		}
	}

	void testParserFollowsTheFileConventions()
	{
		DocumentedKeys documented = DocumentedKeys::parse(
			"; prose, e.g. labels = a=b\n[agent]\n; More prose.\nreporter = http\n\n"
			"; commented out:\n;[reporter.http]\n;type = http ; the plugin\n;headers.X-Team = payments\n;; not a key = 1\n"
			"# also not = 2\nstray text\n;[metadata.x]\n");
		const auto& sections = documented.sections();
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), sections.size());
		CPPUNIT_ASSERT_EQUAL(std::string("agent"), sections[0].name);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), sections[0].keys.size());
		CPPUNIT_ASSERT_EQUAL(4, sections[0].keys.at("reporter"));
		CPPUNIT_ASSERT_EQUAL(std::string("reporter"), sections[1].kind);
		CPPUNIT_ASSERT_EQUAL(std::string("http"), sections[1].type);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), sections[1].keys.size());
		CPPUNIT_ASSERT(sections[1].keys.count("headers.X-Team"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), documented.problems().size());
		CPPUNIT_ASSERT_EQUAL(std::string("line 12: neither a comment, a [section] nor a key: stray text"), documented.problems()[0]);
		CPPUNIT_ASSERT_EQUAL(std::string("line 13: [metadata.x] documents no type ="), documented.problems()[1]);
	}

	void testEveryKeyTheCodeReadsIsDocumented()
	{
		Findings findings = undocumentedKeys(acceptedKeys(), agentIni());
		CPPUNIT_ASSERT_MESSAGE(AGENT_INI + " lacks keys the code reads:" + format(findings), findings.empty());
	}

	void testEveryDocumentedKeyIsRead()
	{
		std::vector<std::string> unchecked;
		Findings findings = unreadKeys(acceptedKeys(), agentIni(), unchecked);
		for (const auto& note : unchecked) std::cout << "\n  note: " << note << std::flush;
		CPPUNIT_ASSERT_MESSAGE(AGENT_INI + " documents keys the code does not read:" + format(findings), findings.empty());
	}

	void testEveryKeyOfTheXmlExampleIsRead()
	{
		Findings findings = unreadXmlKeys(acceptedKeys(), asprof::test::readFile(AGENT_XML));
		CPPUNIT_ASSERT_MESSAGE(AGENT_XML + " sets keys the code does not read:" + format(findings), findings.empty());
		Findings typos = unreadXmlKeys(acceptedKeys(),
			"<asprof><agent><reporter>local</reporter><flushTimeOut>1s</flushTimeOut></agent>"
			"<reporter><local><type>local</type><directory>x</directory><url>y</url></local></reporter></asprof>");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(format(typos), std::size_t(2), typos.size());
		CPPUNIT_ASSERT(mentions(typos, "<agent><flushTimeOut>", "set in the XML example"));
		CPPUNIT_ASSERT(mentions(typos, "<reporter><local><url>", "set in the XML example"));
	}

	void testKeyRemovedFromTheDocumentationIsReported()
	{
		DocumentedKeys documented = agentIni();
		std::vector<std::string> unchecked;
		Findings undocumentedBefore = undocumentedKeys(acceptedKeys(), documented);
		Findings unreadBefore = unreadKeys(acceptedKeys(), documented, unchecked);
		documented.removeKey("agent", "flushTimeout");
		documented.removeKey("reporter.local", "spoolMaxAge");
		documented.removeKey("metadata.onprem", "fields");
		documented.addKey("profiler", "cpuIntervall");
		documented.addKey("reporter.local", "url");
		Findings undocumented = added(undocumentedKeys(acceptedKeys(), documented), undocumentedBefore);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(format(undocumented), std::size_t(3), undocumented.size());
		CPPUNIT_ASSERT(mentions(undocumented, "[agent]", "flushTimeout: read by the agent"));
		CPPUNIT_ASSERT(mentions(undocumented, "[reporter.local]", "spoolMaxAge: read by the agent in every [reporter.<name>]"));
		CPPUNIT_ASSERT(mentions(undocumented, "[metadata.<name>] type = onprem", "fields: read by the onprem metadata plugin"));
		Findings unread = added(unreadKeys(acceptedKeys(), documented, unchecked), unreadBefore);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(format(unread), std::size_t(2), unread.size());
		CPPUNIT_ASSERT(mentions(unread, "[profiler]", "cpuIntervall (line 0): documented, but nothing reads it"));
		CPPUNIT_ASSERT(mentions(unread, "[reporter.local]", "url (line 0)"));
		if (acceptedKeys().plugins.count({"reporter", "http"}))
		{
			documented.removeKey("reporter.pyroscope", "headers.X-Team");
			Findings family = added(undocumentedKeys(acceptedKeys(), documented), undocumentedBefore);
			CPPUNIT_ASSERT(mentions(family, "[reporter.<name>] type = http", "headers.<name>: a key family"));
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigDocsTest);

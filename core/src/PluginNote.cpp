#include "PluginNote.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/Plugin.h"
#include <cerrno>
#include <cstring>
#include <elf.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace asprof {
namespace agent {

namespace {

// This agent's machine, to refuse a plugin built for another one with a
// clear message instead of the loader's.
#if defined(__x86_64__)
const unsigned OUR_MACHINE = EM_X86_64;
#elif defined(__aarch64__)
const unsigned OUR_MACHINE = EM_AARCH64;
#elif defined(__i386__)
const unsigned OUR_MACHINE = EM_386;
#elif defined(__arm__)
const unsigned OUR_MACHINE = EM_ARM;
#elif defined(__powerpc64__)
const unsigned OUR_MACHINE = EM_PPC64;
#elif defined(__s390x__)
const unsigned OUR_MACHINE = EM_S390;
#elif defined(__riscv)
const unsigned OUR_MACHINE = EM_RISCV;
#else
const unsigned OUR_MACHINE = EM_NONE; // unknown: not checked
#endif

const unsigned char OUR_CLASS = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
const unsigned char OUR_DATA = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;

// Section headers and names beyond these are not a plugin anyone built.
const std::uint64_t MAX_SECTIONS = 1u << 16;
const std::uint64_t MAX_NAMES_BYTES = 16u << 20;

class ElfReader
{
public:
	ElfReader(int fd, const std::string& path): _fd(fd), _path(path)
	{
		struct stat st;
		if (::fstat(fd, &st) != 0) refuse(std::string("cannot read it: ") + std::strerror(errno));
		_size = static_cast<std::uint64_t>(st.st_size);
	}

	[[noreturn]] void refuse(const std::string& reason) const
	{
		throw PluginException("refusing plugin " + _path + ": " + reason);
	}

	void read(std::uint64_t offset, void* buffer, std::uint64_t length, const char* what) const
	{
		if (offset > _size || length > _size - offset)
			refuse(std::string("not a valid ELF shared object (its ") + what + " lies beyond the end of the file)");
		auto* out = static_cast<char*>(buffer);
		std::uint64_t done = 0;
		while (done < length)
		{
			ssize_t n = ::pread(_fd, out + done, length - done, static_cast<off_t>(offset + done));
			if (n < 0 && errno == EINTR) continue;
			if (n < 0) refuse(std::string("cannot read it: ") + std::strerror(errno));
			if (n == 0) refuse("the file shrank while it was read");
			done += static_cast<std::uint64_t>(n);
		}
	}

private:
	int _fd;
	const std::string& _path;
	std::uint64_t _size = 0;
};

std::string fixedString(const ElfReader& reader, const char* field, std::size_t size, const char* what)
{
	const void* end = std::memchr(field, '\0', size);
	if (!end) reader.refuse(std::string("its plugin note is malformed (") + what + " is not terminated)");
	std::string text(field, static_cast<const char*>(end));
	for (char c : text)
	{
		auto byte = static_cast<unsigned char>(c);
		if (byte < 0x20 || byte >= 0x7f)
			reader.refuse(std::string("its plugin note is malformed (") + what + " holds a byte that is not printable ASCII)");
	}
	return text;
}

std::string pocoText(std::uint32_t version)
{
	return std::to_string(version >> 24) + "." + std::to_string((version >> 16) & 0xff);
}

std::string cxxAbiText(unsigned cxxAbi)
{
	switch (cxxAbi)
	{
	case 0: return "libstdc++ pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0)";
	case 1: return "libstdc++ C++11 ABI";
	case 2: return "libc++";
	default: return "C++ library ABI " + std::to_string(cxxAbi);
	}
}

} // namespace

PluginNote PluginNote::read(int fd, const std::string& path)
{
	ElfReader reader(fd, path);
	ElfW(Ehdr) header;
	std::memset(&header, 0, sizeof(header));
	unsigned char ident[EI_NIDENT];
	reader.read(0, ident, sizeof(ident), "header");
	if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) reader.refuse("not an ELF file");
	if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)
		reader.refuse("not a valid ELF file (ELF class byte " + std::to_string(ident[EI_CLASS]) + ")");
	if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)
		reader.refuse("not a valid ELF file (ELF data byte " + std::to_string(ident[EI_DATA]) + ")");
	if (ident[EI_CLASS] != OUR_CLASS)
		reader.refuse(std::string("built for ") + (ident[EI_CLASS] == ELFCLASS32 ? "32" : "64") + "-bit code; this agent is " +
			(OUR_CLASS == ELFCLASS32 ? "32" : "64") + "-bit");
	if (ident[EI_DATA] != OUR_DATA) reader.refuse("built for the other byte order");
	reader.read(0, &header, sizeof(header), "header");
	if (header.e_type != ET_DYN) reader.refuse("not a shared object (build it with asprof_add_plugin)");
	if (OUR_MACHINE != EM_NONE && header.e_machine != OUR_MACHINE)
		reader.refuse("built for another machine (ELF machine " + std::to_string(header.e_machine) + ", this agent's is " +
			std::to_string(OUR_MACHINE) + ")");
	if (header.e_shoff == 0) reader.refuse("not a plugin of this SDK: it has no section table, so no plugin note");
	if (header.e_shentsize != sizeof(ElfW(Shdr))) reader.refuse("not a valid ELF shared object (unexpected section header size)");

	// Extended numbering: a count or index too large for the header lives in section 0.
	ElfW(Shdr) first;
	reader.read(header.e_shoff, &first, sizeof(first), "section table");
	std::uint64_t count = header.e_shnum != 0 ? header.e_shnum : first.sh_size;
	std::uint64_t namesIndex = header.e_shstrndx != SHN_XINDEX ? header.e_shstrndx : first.sh_link;
	if (count == 0 || count > MAX_SECTIONS || namesIndex >= count)
		reader.refuse("not a valid ELF shared object (section table of " + std::to_string(count) + " entries)");
	std::vector<ElfW(Shdr)> sections(count);
	reader.read(header.e_shoff, sections.data(), count * sizeof(ElfW(Shdr)), "section table");
	const ElfW(Shdr)& namesSection = sections[namesIndex];
	if (namesSection.sh_type == SHT_NOBITS || namesSection.sh_size > MAX_NAMES_BYTES)
		reader.refuse("not a valid ELF shared object (section names)");
	std::vector<char> names(namesSection.sh_size + 1, '\0');
	reader.read(namesSection.sh_offset, names.data(), namesSection.sh_size, "section names");

	const ElfW(Shdr)* noteSection = nullptr;
	for (const auto& section : sections)
	{
		if (section.sh_name >= namesSection.sh_size) continue;
		if (std::strcmp(&names[section.sh_name], ASPROF_PLUGIN_NOTE_SECTION) != 0) continue;
		if (noteSection) reader.refuse("it holds two plugin notes (two ASPROF_*_PLUGIN manifests in one library)");
		noteSection = &section;
	}
	if (!noteSection)
	{
		reader.refuse("not a plugin of this SDK: it has no plugin note (section " ASPROF_PLUGIN_NOTE_SECTION
					  "); build it with ASPROF_REPORTER_PLUGIN or ASPROF_METADATA_PLUGIN from asprof/sdk/Plugin.h of SDK ABI " +
			std::to_string(ASPROF_SDK_ABI_VERSION) + " (plugins built with SDK ABI 1 have none)");
	}
	AsprofPluginNote raw;
	std::memset(&raw, 0, sizeof(raw));
	const std::uint64_t prefix = sizeof(raw.magic) + sizeof(raw.layout);
	if (noteSection->sh_type == SHT_NOBITS || noteSection->sh_size < prefix) reader.refuse("its plugin note is malformed (too short)");
	reader.read(noteSection->sh_offset, &raw, prefix, "plugin note");
	if (std::memcmp(raw.magic, "asprof-plugin\0\0\0", sizeof(raw.magic)) != 0) reader.refuse("its plugin note is malformed (bad magic)");
	if (raw.layout != 1)
	{
		reader.refuse("its plugin note has layout " + std::to_string(raw.layout) +
			", newer than this agent reads (1): the plugin was built with a newer SDK; use an agent of that version");
	}
	if (noteSection->sh_size != sizeof(raw))
		reader.refuse("its plugin note is malformed (" + std::to_string(noteSection->sh_size) + " bytes, layout 1 has " +
			std::to_string(sizeof(raw)) + ")");
	reader.read(noteSection->sh_offset, &raw, sizeof(raw), "plugin note");

	PluginNote note;
	note.abiVersion = raw.abiVersion;
	note.pocoVersion = raw.pocoVersion;
	note.cxxAbi = raw.cxxAbi;
	note.kind = fixedString(reader, raw.kind, sizeof(raw.kind), "kind");
	note.type = fixedString(reader, raw.type, sizeof(raw.type), "type");
	note.sdkVersion = fixedString(reader, raw.sdkVersion, sizeof(raw.sdkVersion), "SDK version");
	return note;
}

PluginNote PluginNote::expected(const std::string& kind, const std::string& type)
{
	PluginNote note;
	note.abiVersion = ASPROF_SDK_ABI_VERSION;
	note.pocoVersion = POCO_VERSION;
	note.cxxAbi = ASPROF_PLUGIN_CXX_ABI;
	note.kind = kind;
	note.type = type;
	note.sdkVersion = ASPROF_VERSION_STRING;
	return note;
}

std::string PluginNote::builtWith() const
{
	return "SDK " + sdkVersion + " (ABI " + std::to_string(abiVersion) + "), Poco " + pocoText(pocoVersion) + ", " + cxxAbiText(cxxAbi);
}

std::string PluginNote::mismatch(const PluginNote& expected) const
{
	std::string theirs;
	std::string ours;
	auto add = [&](const std::string& plugin, const std::string& agent) {
		theirs += (theirs.empty() ? "" : " and ") + plugin;
		ours += (ours.empty() ? "" : " and ") + agent;
	};
	if (abiVersion != expected.abiVersion) add("SDK ABI " + std::to_string(abiVersion), "SDK ABI " + std::to_string(expected.abiVersion));
	if ((pocoVersion >> 16) != (expected.pocoVersion >> 16)) add("Poco " + pocoText(pocoVersion), "Poco " + pocoText(expected.pocoVersion));
	if (cxxAbi != expected.cxxAbi) add(cxxAbiText(cxxAbi), cxxAbiText(expected.cxxAbi));
	return theirs.empty() ? theirs : "built with " + theirs + ", this agent with " + ours;
}

} // namespace agent
} // namespace asprof

/* Two recordings with nativemem=0: a leak that spans them and memory freed in the second. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const char* (*execute_t)(const char*, void (*)(const char*, size_t));
static execute_t execute;

static void run(const char* command)
{
	const char* error = execute(command, NULL);
	if (error)
	{
		fprintf(stderr, "%s: %s\n", command, error);
		exit(1);
	}
}

__attribute__((noinline)) void* leak_in_first(size_t size)
{
	void* p = malloc(size);
	memset(p, 1, size);
	return p;
}
__attribute__((noinline)) void* freed_in_second(size_t size)
{
	void* p = malloc(size);
	memset(p, 2, size);
	return p;
}
__attribute__((noinline)) void* freed_in_first(size_t size)
{
	void* p = malloc(size);
	memset(p, 3, size);
	return p;
}
__attribute__((noinline)) void* leak_in_second(size_t size)
{
	void* p = malloc(size);
	memset(p, 4, size);
	return p;
}

int main(int argc, char** argv)
{
	void* lib = dlopen(argc > 1 ? argv[1] : "libasyncProfiler.so", RTLD_NOW);
	if (!lib)
	{
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	((void (*)(void))dlsym(lib, "asprof_init"))();
	execute = (execute_t)dlsym(lib, "asprof_execute");
	run("start,event=cpu,interval=10ms,nativemem=0,jfr,cstack=fp,file=first.jfr");
	void* leaked = leak_in_first(3000000);
	void* later = freed_in_second(2000000);
	void* gone = freed_in_first(2500000);
	free(gone);
	run("stop");
	run("start,event=cpu,interval=10ms,nativemem=0,jfr,cstack=fp,file=second.jfr");
	free(later);
	void* leaked2 = leak_in_second(1500000);
	run("stop");
	printf("%p %p\n", leaked, leaked2);
	return 0;
}

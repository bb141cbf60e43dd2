#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
typedef const char* (*execute_t)(const char*, void (*)(const char*, size_t));
int main(int argc, char** argv)
{
	void* ps[1000];
	for (int i = 0; i < 1000; i++) ps[i] = malloc(100);
	void* lib = dlopen(argv[1], RTLD_NOW);
	((void (*)(void))dlsym(lib, "asprof_init"))();
	execute_t ex = (execute_t)dlsym(lib, "asprof_execute");
	char cmd[256];
	snprintf(cmd, sizeof cmd, "start,event=cpu,nativemem=100m,jfr,cstack=fp,file=%s", argv[2]);
	const char* e = ex(cmd, NULL);
	if (e)
	{
		fprintf(stderr, "%s\n", e);
		return 1;
	}
	for (int i = 0; i < 1000; i++) free(ps[i]);
	ex("stop", NULL);
	return 0;
}

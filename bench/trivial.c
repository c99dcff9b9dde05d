/* The protocol ceiling: a do-nothing libfcgi responder that answers every request with the same JSON as
 * GET /api/health. bench/run.sh compiles it and puts it behind the same nginx configuration as Switchboard.
 *
 *   trivial SOCKET_PATH THREADS [BODY_FILE]
 * With BODY_FILE it answers that file's bytes instead (the same size as another endpoint's answer).
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int listen_fd;
static const char health[] =
    "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\"}";
static const char *reply = health;
static int reply_length;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_PutStr(reply, reply_length, request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) { fprintf(stderr, "usage: %s SOCKET THREADS [BODY_FILE]\n", argv[0]); return 2; }
    int threads = atoi(argv[2]);
    reply_length = (int)strlen(health);
    if (argc == 4) {
        static char buffer[1 << 20];
        static const char head[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n";
        FILE *f = fopen(argv[3], "rb");
        if (!f) { perror(argv[3]); return 1; }
        memcpy(buffer, head, sizeof head - 1);
        size_t n = fread(buffer + sizeof head - 1, 1, sizeof buffer - sizeof head, f);
        fclose(f);
        reply = buffer;
        reply_length = (int)(sizeof head - 1 + n);
    }
    FCGX_Init();
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    if (listen_fd < 0) { perror("FCGX_OpenSocket"); return 1; }
    chmod(argv[1], 0666);
    pthread_t ids[256];
    for (int i = 0; i < threads && i < 256; i++) pthread_create(&ids[i], NULL, serve, NULL);
    for (int i = 0; i < threads && i < 256; i++) pthread_join(ids[i], NULL);
    return 0;
}

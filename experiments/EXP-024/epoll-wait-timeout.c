/* EXP-024: what a positive epoll_wait timeout costs when a report is
 * already waiting.  gcc -O2 epoll-wait-timeout.c && taskset -c 1 ./a.out
 * (best of 15 batches of 20000 calls per timeout value). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
int main(int argc,char**argv){
	int sv[2]; socketpair(AF_UNIX,SOCK_STREAM,0,sv); write(sv[1],"x",1);
	int ep=epoll_create1(0); struct epoll_event ev={.events=EPOLLIN}; epoll_ctl(ep,EPOLL_CTL_ADD,sv[0],&ev);
	int tos[3]={-1,0,60000}; double best[3]={1e18,1e18,1e18};
	for(int rep=0;rep<15;rep++) for(int k=0;k<3;k++){
		double t0=now(); for(int i=0;i<20000;i++){struct epoll_event e[8]; epoll_wait(ep,e,8,tos[k]);}
		double t=(now()-t0)/20000; if(t<best[k])best[k]=t;}
	printf("epoll_wait ready fd: timeout -1 %.0f ns, 0 %.0f ns, 60000 %.0f ns\n",best[0],best[1],best[2]);
}

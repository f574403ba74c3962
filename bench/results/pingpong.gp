set terminal png size 800,500
set output 'bench/results/pingpong.png'
set title 'Ping-pong echo, 64-byte messages (median of rounds)'
set xlabel 'connections'
set ylabel 'messages per second'
set logscale x
set key left top
set grid
plot 'bench/results/pingpong.dat' using 1:2 with linespoints title 'sockchan', 'bench/results/pingpong.dat' using 1:3 with linespoints title 'libuv', 'bench/results/pingpong.dat' using 1:4 with linespoints title 'libevent', 'bench/results/pingpong.dat' using 1:5 with linespoints title 'raw epoll', 'bench/results/pingpong.dat' using 1:6 with linespoints title 'sockchan serve echo'

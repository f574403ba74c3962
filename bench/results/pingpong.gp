set terminal png size 800,500
set output '/work/main/bench/results/pingpong.png'
set title 'Ping-pong echo, 64-byte messages (median of rounds)'
set xlabel 'connections'
set ylabel 'messages per second'
set logscale x
set key left top
set grid
plot '/work/main/bench/results/pingpong.dat' using 1:2 with linespoints title 'sockchan', '/work/main/bench/results/pingpong.dat' using 1:3 with linespoints title 'libuv', '/work/main/bench/results/pingpong.dat' using 1:4 with linespoints title 'libevent', '/work/main/bench/results/pingpong.dat' using 1:5 with linespoints title 'raw epoll', '/work/main/bench/results/pingpong.dat' using 1:6 with linespoints title 'sockchan serve echo'

# unix_sockets(3tcl)'s echo server (EXAMPLE), from /work/shared/seeds/002_d2f5495f7f821c99.txt, verbatim.
              proc readable {con} {
                  set msg [gets $con]
                  puts $con $msg
                  close $con
              }

              proc accept {con} {
                  chan event $con readable [list readable $con]
              }

              set listen   [unix_sockets::listen /tmp/example.socket accept]

              vwait ::forever

# unix_sockets(3tcl)'s echo client (EXAMPLE), from /work/shared/seeds/002_d2f5495f7f821c99.txt, verbatim.
              proc readable {con} {
                  set msg [gets $con]
                  puts "got response: ($msg)"
                  set ::done 1
              }

              set con     [unix_sockets::connect /tmp/example.socket]
              puts $con "hello, world"
              flush $con
              chan event $con readable [list readable $con]
              vwait ::done

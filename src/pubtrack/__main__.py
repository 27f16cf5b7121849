from pubtrack.cli import main

main()

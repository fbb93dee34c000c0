from turnero.cli import main

main()

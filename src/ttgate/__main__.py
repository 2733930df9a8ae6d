from ttgate.cli import main

main()

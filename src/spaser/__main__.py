from spaser.cli import main

main()

from yinling.cli import main

main()

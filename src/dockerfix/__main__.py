from dockerfix.cli import program

program()

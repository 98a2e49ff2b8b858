"""cnnviz command line: ``python render.py --help``."""
from cnnviz.cli import main

if __name__ == "__main__":
    main()

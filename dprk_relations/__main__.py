from dprk_relations.cli import main

main(prog_name="dprk-relations")

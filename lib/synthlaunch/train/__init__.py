"""`train`: one config from file to watched job (`pipeline.run_one`), with the options of a run
(`options.TrainOptions`) and what happened to each config (`options.RunRecord`).
The `train` command (`synthlaunch.commands.train`) runs several configs in order and reports them."""

"""The grader and a course's LMS: grades out to Canvas, Moodle, Gradescope and Blackboard."""

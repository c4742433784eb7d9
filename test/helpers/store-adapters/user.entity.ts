import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryColumn('int')
  id!: number;

  @Column('text')
  name!: string;

  @Column('text')
  email!: string;
}
